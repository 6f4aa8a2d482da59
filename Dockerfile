# One image for every ladeplan process; the command chooses the process:
#   docker run --rm ladeplan                                  usage
#   docker run --rm -e DATABASE_URL=... ladeplan ladeplan migrate
#   docker run --rm -e DATABASE_URL=... -e AMQP_URL=... -p 9000:9000 ladeplan ladeplan serve ocpp-gateway
# docker-compose.yml and heroku.yml run it this way. Only classic Dockerfile features are used
# (no BuildKit mounts), so Heroku's builder and docker-compose 1.29's legacy builder both build it.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: the virtual environment at /app/.venv, exactly as uv.lock says ---------------------
FROM ${PYTHON_IMAGE} AS build

# The same uv as the Makefile's UV_VERSION (tests/deploy asserts that they agree).
RUN pip install --no-cache-dir --disable-pip-version-check uv==0.13.9

ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1
WORKDIR /app

# Third-party packages first, from the lockfile alone: this layer is reused until uv.lock changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-workspace

# Then the workspace itself. Its packages stay editable installs of the copied sources, because
# each service finds its migrations next to its package (services/<name>/migrations).
COPY . .
RUN uv sync --locked --no-dev \
    && python -m compileall -q src libs services

# --- runtime: the same base image, the environment and sources, no build tools ------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN groupadd --system --gid 10001 ladeplan \
    && useradd --system --uid 10001 --gid ladeplan --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin ladeplan

# Owned by root and read-only for the service user: a compromised process cannot change the code.
COPY --from=build /app /app
WORKDIR /app
# Numeric, so that orchestrators enforcing "run as non-root" can verify it.
USER 10001:10001

# masterdata, session-manager, receipts, ocpp-gateway (each also honours $PORT).
EXPOSE 8081 8082 8083 9000

CMD ["ladeplan", "--help"]
