"""OCPP message handlers, one module per protocol version, all mapping to the same contracts."""
