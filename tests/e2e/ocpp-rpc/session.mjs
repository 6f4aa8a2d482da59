#!/usr/bin/env node
// One full charging session against an OCPP CSMS, spoken by an independent client: ocpp-rpc in
// strict mode validates every CALL we send, every CALLRESULT the server returns, every CALL the
// server sends us and our answers to it against the official OCPP JSON schemas.
//
//   node session.mjs --url ws://127.0.0.1:9000/ocpp --id CP-1 --password SECRET \
//       --protocol ocpp1.6|ocpp2.0.1|ocpp2.1 --token TOKEN-UID [--wait-authorized]
//       [--await-call RemoteStartTransaction]
//
// --await-call keeps the connection open after the session until the CSMS sends that CALL (a
// line {"awaiting": ACTION} says when to trigger it); the answer goes through strict mode too.
// stdout: one JSON line per exchange, then a summary {"ok": true, "transactionId": ..., "responses": {...}}.
// Exit codes: 0 session completed; 1 protocol failure (schema violation, CALLERROR, unexpected
// status, lost connection); 2 usage error. On failure the last line is {"ok": false, "error": {...}}.

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import ocppRpc from 'ocpp-rpc';

import { ocpp21Validator } from './strict.mjs';

// ocpp-rpc is a CommonJS module: its exports are reached through the default import.
const { RPCClient, RPCError, UnexpectedHttpResponse, createRPCError } = ocppRpc;

const PROTOCOLS = ['ocpp1.6', 'ocpp2.0.1', 'ocpp2.1'];
const ENERGY_REGISTER = 'Energy.Active.Import.Register';
// Statuses a token has while it is unknown to the CSMS; only these are retried with --wait-authorized.
const NOT_YET_KNOWN = new Set(['Invalid', 'Unknown']);

const USAGE = `usage: node session.mjs --url WS_URL --id CHARGE_POINT_ID --password PASSWORD
                       --protocol ${PROTOCOLS.join('|')} --token TOKEN_UID
                       [--wait-authorized] [--authorize-wait-s 10] [--meter-start-wh 1000]
                       [--energy-wh 7500] [--call-timeout-ms 30000]
                       [--await-call ACTION] [--await-s 15]`;

/** A failure that ends the session: printed as {"ok": false, "error": ...}, exit code 1. */
class SessionFailure extends Error {
    constructor(kind, message, fields = {}) {
        super(message);
        this.kind = kind;
        this.fields = fields;
    }

    toJSON() {
        return { kind: this.kind, message: this.message, ...this.fields };
    }
}

class UsageError extends Error {}

function emit(record) {
    process.stdout.write(`${JSON.stringify(record)}\n`);
}

function nowIso() {
    return new Date().toISOString();
}

function parseOptions(argv) {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            strict: true,
            options: {
                url: { type: 'string' },
                id: { type: 'string' },
                password: { type: 'string' },
                protocol: { type: 'string' },
                token: { type: 'string' },
                'wait-authorized': { type: 'boolean', default: false },
                'authorize-wait-s': { type: 'string', default: '10' },
                'meter-start-wh': { type: 'string', default: '1000' },
                'energy-wh': { type: 'string', default: '7500' },
                'call-timeout-ms': { type: 'string', default: '30000' },
                'await-call': { type: 'string' },
                'await-s': { type: 'string', default: '15' },
                help: { type: 'boolean', short: 'h', default: false },
            },
        }));
    } catch (error) {
        throw new UsageError(error.message);
    }
    if (values.help) return { help: true };
    for (const name of ['url', 'id', 'password', 'protocol', 'token']) {
        if (!values[name]) throw new UsageError(`--${name} is required`);
    }
    if (!PROTOCOLS.includes(values.protocol)) {
        throw new UsageError(`--protocol must be one of ${PROTOCOLS.join(', ')}`);
    }
    const integer = (name, { min }) => {
        const text = values[name];
        const number = Number(text);
        if (!/^\d+$/.test(text) || !Number.isSafeInteger(number) || number < min) {
            throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
        }
        return number;
    };
    return {
        url: values.url.replace(/\/+$/, ''),
        identity: values.id,
        password: values.password,
        protocol: values.protocol,
        token: values.token,
        waitAuthorized: values['wait-authorized'],
        authorizeWaitMs: integer('authorize-wait-s', { min: 0 }) * 1000,
        meterStartWh: integer('meter-start-wh', { min: 0 }),
        energyWh: integer('energy-wh', { min: 0 }),
        callTimeoutMs: integer('call-timeout-ms', { min: 1 }),
        awaitCall: values['await-call'],
        awaitMs: integer('await-s', { min: 1 }) * 1000,
    };
}

/**
 * The connection and its bookkeeping: every exchange is printed and the last response of each
 * step is kept for the summary. A strict-mode failure the library only reports as an event (a
 * server CALL that violates the schema, our answer to it, a malformed frame) ends the session too.
 */
class Session {
    constructor(options) {
        this.options = options;
        this.responses = {};
        this.inbound = [];
        this.failure = null;
        this.closing = false;
        this.client = new RPCClient({
            endpoint: options.url,
            identity: options.identity,
            password: options.password,
            protocols: [options.protocol],
            strictMode: true,
            strictModeValidators: options.protocol === 'ocpp2.1' ? [ocpp21Validator()] : [],
            callTimeoutMs: options.callTimeoutMs,
            // A dropped connection must fail the run, not be papered over by a reconnect.
            reconnect: false,
            // Any frame that is not valid OCPP-J RPC is a failure of the server under test.
            maxBadMessages: 0,
        });
        this.client.on('strictValidationFailure', (event) => {
            const direction = event.outbound ? 'outbound' : 'inbound';
            const frame = event.isCall ? 'CALL' : 'CALLRESULT';
            this.fail(
                new SessionFailure('strictValidation', `${direction} ${frame} ${event.method} violates the schema`, {
                    action: event.method,
                    direction,
                    frame,
                    code: event.error?.rpcErrorCode,
                    detail: event.error?.message,
                    params: event.params,
                    result: event.result ?? undefined,
                }),
            );
        });
        this.client.on('badMessage', (event) => {
            this.fail(
                new SessionFailure('badMessage', `malformed frame from the server: ${event.error?.message}`, {
                    frame: event.buffer?.toString(),
                }),
            );
        });
        this.client.on('disconnect', ({ code, reason }) => {
            if (!this.closing) {
                const message = `server closed the connection (${code} ${reason})`;
                this.fail(new SessionFailure('disconnected', message, { code }));
            }
        });
        this.registerServerCalls();
    }

    /** Keep the first failure; every later step checks it before going on. */
    fail(failure) {
        this.failure ??= failure;
    }

    throwIfFailed() {
        if (this.failure) throw this.failure;
    }

    async connect() {
        try {
            await this.client.connect();
        } catch (error) {
            throw new SessionFailure('connect', `websocket handshake failed: ${error.message}`, {
                // The HTTP status of a refused upgrade (401 for a wrong password), else the socket error code.
                ...(error instanceof UnexpectedHttpResponse ? { httpStatus: error.code } : { code: error.code }),
            });
        }
        if (this.client.protocol !== this.options.protocol) {
            throw new SessionFailure('connect', `server chose subprotocol ${JSON.stringify(this.client.protocol)}`);
        }
        emit({ exchange: 'connect', protocol: this.client.protocol, identity: this.options.identity });
    }

    /** One CALL; a CALLERROR, a timeout or a schema violation (either way) becomes a SessionFailure. */
    async call(action, params, { key = action, ...extra } = {}) {
        this.throwIfFailed();
        const started = performance.now();
        let response;
        try {
            response = await this.client.call(action, params);
        } catch (error) {
            this.throwIfFailed(); // the strictValidationFailure event carries the better description
            if (error instanceof RPCError) {
                throw new SessionFailure('callError', `${action} answered with CALLERROR ${error.rpcErrorCode}`, {
                    action,
                    code: error.rpcErrorCode,
                    detail: error.message,
                    details: error.details,
                });
            }
            throw new SessionFailure('call', `${action} failed: ${error.message}`, { action });
        }
        this.throwIfFailed();
        emit({
            exchange: action,
            key,
            direction: 'outbound',
            request: params,
            response,
            ms: Math.round(performance.now() - started),
            ...extra,
        });
        this.responses[key] = response;
        return response;
    }

    /**
     * Answers to the CSMS's own CALLs (the commands the gateway sends): Accepted, like a willing
     * charge point. Strict mode validates each request before it reaches us and our answer after.
     */
    registerServerCalls() {
        const accepted =
            this.options.protocol === 'ocpp1.6'
                ? ['RemoteStartTransaction', 'RemoteStopTransaction', 'SetChargingProfile', 'ClearChargingProfile']
                : ['RequestStartTransaction', 'RequestStopTransaction', 'SetChargingProfile', 'ClearChargingProfile'];
        for (const action of accepted) {
            this.client.handle(action, ({ params }) => {
                const response = { status: 'Accepted' };
                this.inbound.push({ action, request: params, response });
                emit({ exchange: action, direction: 'inbound', request: params, response });
                return response;
            });
        }
        // Anything else: the reply OCPP prescribes for an action this charge point does not implement.
        this.client.handle(({ method, params }) => {
            this.inbound.push({ action: method, request: params, response: 'NotImplemented' });
            emit({ exchange: method, direction: 'inbound', request: params, error: 'NotImplemented' });
            throw createRPCError('NotImplemented', `${method} is not implemented by this test client`);
        });
    }

    expectStatus(action, actual, expected = 'Accepted') {
        if (actual !== expected) {
            const message = `${action}: status ${JSON.stringify(actual)}, expected ${expected}`;
            throw new SessionFailure('unexpectedStatus', message, { action, status: actual ?? null, expected });
        }
    }

    /**
     * Authorize; with --wait-authorized, repeat while the token is still unknown to the CSMS (a
     * token created through the operator API reaches the authorising service asynchronously).
     */
    async authorize(request, statusOf) {
        const deadline = performance.now() + (this.options.waitAuthorized ? this.options.authorizeWaitMs : 0);
        for (let attempt = 1; ; attempt += 1) {
            const response = await this.call('Authorize', request, { attempt });
            const status = statusOf(response);
            if (status === 'Accepted' || !NOT_YET_KNOWN.has(status) || performance.now() >= deadline) {
                this.expectStatus('Authorize', status);
                return response;
            }
            await sleep(Math.min(500, Math.max(0, deadline - performance.now())));
        }
    }

    /** Wait until the CSMS has sent (and we have answered) a CALL of ``action``. */
    async awaitInbound(action, timeoutMs) {
        emit({ awaiting: action, timeoutS: timeoutMs / 1000 });
        const deadline = performance.now() + timeoutMs;
        while (!this.inbound.some((call) => call.action === action)) {
            this.throwIfFailed();
            if (performance.now() >= deadline) {
                throw new SessionFailure('timeout', `no ${action} CALL from the server within ${timeoutMs / 1000} s`, {
                    action,
                });
            }
            await sleep(50);
        }
    }

    async close() {
        this.closing = true;
        // A no-op when the connection is already closed or closing.
        await this.client.close({ code: 1000, reason: 'session complete', awaitPending: true });
    }
}

/** A 1.6 energy register reading: values are decimal strings, the unit a plain field. */
function reading16(valueWh, context) {
    return { value: String(valueWh), context, measurand: ENERGY_REGISTER, location: 'Outlet', unit: 'Wh' };
}

/** A 2.x energy register reading: values are JSON numbers, the unit inside unitOfMeasure. */
function reading2(valueWh, context) {
    return { value: valueWh, context, measurand: ENERGY_REGISTER, location: 'Outlet', unitOfMeasure: { unit: 'Wh' } };
}

async function runV16(session, options) {
    const { token, meterStartWh, energyWh } = options;
    const meterMidWh = meterStartWh + Math.floor(energyWh / 2);
    const meterStopWh = meterStartWh + energyWh;

    const boot = await session.call('BootNotification', {
        chargePointVendor: 'ladeplan-e2e',
        chargePointModel: 'ocpp-rpc-strict',
        chargePointSerialNumber: options.identity.slice(0, 25),
        firmwareVersion: 'ocpp-rpc',
    });
    session.expectStatus('BootNotification', boot.status);
    await session.call('Heartbeat', {});
    for (const status of ['Available', 'Preparing']) {
        await session.call(
            'StatusNotification',
            { connectorId: 1, errorCode: 'NoError', status, timestamp: nowIso() },
            { key: `StatusNotification.${status}` },
        );
    }
    await session.authorize({ idTag: token }, (response) => response.idTagInfo?.status);
    const start = await session.call('StartTransaction', {
        connectorId: 1,
        idTag: token,
        meterStart: meterStartWh,
        timestamp: nowIso(),
    });
    session.expectStatus('StartTransaction', start.idTagInfo?.status);
    const { transactionId } = start;
    await session.call('MeterValues', {
        connectorId: 1,
        transactionId,
        meterValue: [{ timestamp: nowIso(), sampledValue: [reading16(meterMidWh, 'Sample.Periodic')] }],
    });
    const stop = await session.call('StopTransaction', {
        transactionId,
        idTag: token,
        meterStop: meterStopWh,
        timestamp: nowIso(),
        reason: 'Local',
    });
    // idTagInfo is optional in the answer; when the CSMS sends it, it concerns our (valid) token.
    if (stop.idTagInfo !== undefined) session.expectStatus('StopTransaction', stop.idTagInfo.status);
    return { transactionId, meterStartWh, meterStopWh };
}

async function runV2(session, options) {
    const { token, meterStartWh, energyWh } = options;
    const meterMidWh = meterStartWh + Math.floor(energyWh / 2);
    const meterStopWh = meterStartWh + energyWh;
    const idToken = { idToken: token, type: 'ISO14443' };
    const evse = { id: 1, connectorId: 1 };
    // 2.x charging stations name their transactions (identifierString, at most 36 characters).
    const transactionId = randomUUID();
    let seqNo = 0;
    const transactionEvent = (eventType, fields) =>
        session.call(
            'TransactionEvent',
            { eventType, timestamp: nowIso(), seqNo: seqNo++, evse, ...fields },
            { key: `TransactionEvent.${eventType}` },
        );

    const boot = await session.call('BootNotification', {
        reason: 'PowerUp',
        chargingStation: {
            vendorName: 'ladeplan-e2e',
            model: 'ocpp-rpc-strict',
            serialNumber: options.identity.slice(0, 25),
            firmwareVersion: 'ocpp-rpc',
        },
    });
    session.expectStatus('BootNotification', boot.status);
    await session.call('Heartbeat', {});
    for (const connectorStatus of ['Available', 'Occupied']) {
        await session.call(
            'StatusNotification',
            { timestamp: nowIso(), connectorStatus, evseId: evse.id, connectorId: evse.connectorId },
            { key: `StatusNotification.${connectorStatus}` },
        );
    }
    await session.authorize({ idToken }, (response) => response.idTokenInfo?.status);
    const started = await transactionEvent('Started', {
        triggerReason: 'Authorized',
        transactionInfo: { transactionId, chargingState: 'EVConnected' },
        idToken,
        meterValue: [{ timestamp: nowIso(), sampledValue: [reading2(meterStartWh, 'Transaction.Begin')] }],
    });
    session.expectStatus('TransactionEvent(Started)', started.idTokenInfo?.status);
    await transactionEvent('Updated', {
        triggerReason: 'MeterValuePeriodic',
        transactionInfo: { transactionId, chargingState: 'Charging' },
        meterValue: [{ timestamp: nowIso(), sampledValue: [reading2(meterMidWh, 'Sample.Periodic')] }],
    });
    await transactionEvent('Ended', {
        triggerReason: 'EVCommunicationLost',
        transactionInfo: { transactionId, chargingState: 'Idle', stoppedReason: 'EVDisconnected' },
        meterValue: [{ timestamp: nowIso(), sampledValue: [reading2(meterStopWh, 'Transaction.End')] }],
    });
    return { transactionId, meterStartWh, meterStopWh };
}

async function main() {
    let options;
    try {
        options = parseOptions(process.argv.slice(2));
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        process.stderr.write(`session.mjs: ${error.message}\n${USAGE}\n`);
        return 2;
    }
    if (options.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    const session = new Session(options);
    try {
        await session.connect();
        const run = options.protocol === 'ocpp1.6' ? runV16 : runV2;
        const transaction = await run(session, options);
        if (options.awaitCall) await session.awaitInbound(options.awaitCall, options.awaitMs);
        await session.close();
        // A failure reported by an event while the last answer was in flight or during the close.
        session.throwIfFailed();
        emit({
            ok: true,
            protocol: options.protocol,
            chargePointId: options.identity,
            ...transaction,
            energyWh: transaction.meterStopWh - transaction.meterStartWh,
            responses: session.responses,
            inbound: session.inbound,
        });
        return 0;
    } catch (error) {
        const failure =
            error instanceof SessionFailure ? error : new SessionFailure('internal', error?.stack ?? String(error));
        emit({ ok: false, protocol: options.protocol, chargePointId: options.identity, error: failure });
        await session.close().catch(() => {});
        return 1;
    }
}

process.exitCode = await main();
