"""Pure rules of session-manager: who may charge, how a session moves, how much energy it took.

Nothing here does I/O; the use cases feed it rows and contracts and act on its answers.
"""
