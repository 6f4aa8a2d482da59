"""Pure protocol rules of the gateway: OCPP payloads in, contract models out (and back). No I/O."""
