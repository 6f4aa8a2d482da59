"""ems-adapter: charging demand in, site charging plans out, OCPP charging profiles to the charge points."""
