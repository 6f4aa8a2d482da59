// What conformance.mjs says and answers, per OCPP version: schema-valid payloads written from the
// specification, sharing no code with the backend under test.

const now = (offsetS = 0) => new Date(Date.now() + offsetS * 1000).toISOString();
const accepted = { status: 'Accepted' };
const isAccepted = (response) => response.status === 'Accepted';

/** A 2.x charging schedule of two periods (W), as charge points report them. */
function schedule2(id, limit) {
    return {
        id,
        chargingRateUnit: 'W',
        chargingSchedulePeriod: [
            { startPeriod: 0, limit },
            { startPeriod: 1800, limit: limit / 2 },
        ],
    };
}

function v16Messages(identity) {
    return {
        boot: [
            'BootNotification',
            { chargePointVendor: 'ladeplan-e2e', chargePointModel: 'ocpp-rpc-conformance', chargePointSerialNumber: identity.slice(0, 25), firmwareVersion: '1.0.0' },
        ],
        messages: [
            { action: 'Heartbeat', params: {} },
            { action: 'StatusNotification', params: { connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: now() } },
            {
                action: 'MeterValues',
                params: { connectorId: 1, meterValue: [{ timestamp: now(), sampledValue: [{ value: '1000', unit: 'Wh' }] }] },
            },
            { action: 'DataTransfer', params: { vendorId: 'org.example', messageId: 'Hello' }, expect: (r) => r.status === 'UnknownVendorId' },
            { action: 'FirmwareStatusNotification', params: { status: 'Installed' } },
            { action: 'DiagnosticsStatusNotification', params: { status: 'Uploaded' } },
            // The 1.6 security extension's messages.
            { action: 'SecurityEventNotification', params: { type: 'StartupOfTheDevice', timestamp: now(), techInfo: 'e2e' } },
            { action: 'LogStatusNotification', params: { status: 'Uploaded', requestId: 7 } },
            { action: 'SignedFirmwareStatusNotification', params: { status: 'SignatureVerified', requestId: 8 } },
        ],
    };
}

function v2Messages(protocol, identity) {
    const v21 = protocol === 'ocpp2.1';
    const component = { name: 'ChargingStation' };
    const variable = { name: 'Temperature' };
    const monitor = { id: 1, transaction: false, value: 80, type: 'UpperThreshold', severity: 4 };
    return {
        boot: [
            'BootNotification',
            {
                reason: 'PowerUp',
                chargingStation: { vendorName: 'ladeplan-e2e', model: 'ocpp-rpc-conformance', serialNumber: identity.slice(0, 25), firmwareVersion: '1.0.0' },
            },
        ],
        messages: [
            { action: 'Heartbeat', params: {} },
            { action: 'StatusNotification', params: { timestamp: now(), connectorStatus: 'Available', evseId: 1, connectorId: 1 } },
            {
                action: 'MeterValues',
                params: { evseId: 1, meterValue: [{ timestamp: now(), sampledValue: [{ value: 1000, unitOfMeasure: { unit: 'Wh' } }] }] },
            },
            { action: 'DataTransfer', params: { vendorId: 'org.example', data: { any: ['json'] } }, expect: (r) => r.status === 'UnknownVendorId' },
            { action: 'FirmwareStatusNotification', params: { status: 'Installed', requestId: 5 } },
            { action: 'LogStatusNotification', params: { status: 'Uploaded', requestId: 6 } },
            { action: 'SecurityEventNotification', params: { type: 'StartupOfTheDevice', timestamp: now(), techInfo: 'e2e' } },
            { action: 'ReservationStatusUpdate', params: { reservationId: 3, reservationUpdateStatus: v21 ? 'NoTransaction' : 'Expired' } },
            {
                action: 'NotifyReport',
                params: {
                    requestId: 9,
                    generatedAt: now(),
                    seqNo: 0,
                    tbc: false,
                    reportData: [
                        {
                            component: { name: 'OCPPCommCtrlr' },
                            variable: { name: 'HeartbeatInterval' },
                            variableAttribute: [{ type: 'Actual', value: '300', mutability: 'ReadWrite' }],
                            variableCharacteristics: { dataType: 'integer', unit: 's', supportsMonitoring: false },
                        },
                    ],
                },
            },
            {
                action: 'NotifyEvent',
                params: {
                    generatedAt: now(),
                    seqNo: 0,
                    eventData: [
                        { eventId: 1, timestamp: now(), trigger: 'Alerting', actualValue: '81.5', eventNotificationType: 'HardWiredMonitor', component, variable },
                    ],
                },
            },
            {
                action: 'NotifyMonitoringReport',
                params: {
                    requestId: 10,
                    seqNo: 0,
                    generatedAt: now(),
                    // eventNotificationType is required from 2.1 on and unknown to 2.0.1.
                    monitor: [{ component, variable, variableMonitoring: [v21 ? { ...monitor, eventNotificationType: 'HardWiredMonitor' } : monitor] }],
                },
            },
            {
                action: 'NotifyEVChargingNeeds',
                params: {
                    evseId: 1,
                    maxScheduleTuples: 3,
                    chargingNeeds: {
                        requestedEnergyTransfer: 'AC_three_phase',
                        departureTime: now(4 * 3600),
                        acChargingParameters: { energyAmount: 30000, evMinCurrent: 6, evMaxCurrent: 16, evMaxVoltage: 400 },
                    },
                },
                expect: isAccepted,
            },
            { action: 'NotifyEVChargingSchedule', params: { timeBase: now(), evseId: 1, chargingSchedule: schedule2(1, 11000) }, expect: isAccepted },
            {
                action: 'NotifyChargingLimit',
                params: { evseId: 1, chargingLimit: { chargingLimitSource: 'EMS', isGridCritical: true }, chargingSchedule: [schedule2(2, 7000)] },
            },
            { action: 'ClearedChargingLimit', params: { chargingLimitSource: 'EMS', evseId: 1 } },
            {
                action: 'ReportChargingProfiles',
                params: {
                    requestId: 11,
                    chargingLimitSource: 'CSO',
                    evseId: 1,
                    tbc: false,
                    chargingProfile: [
                        { id: 4, stackLevel: 0, chargingProfilePurpose: 'TxDefaultProfile', chargingProfileKind: 'Absolute', chargingSchedule: [schedule2(4, 11000)] },
                    ],
                },
            },
        ],
    };
}

export function chargePointMessages(protocol, identity) {
    return protocol === 'ocpp1.6' ? v16Messages(identity) : v2Messages(protocol, identity);
}

function v16Answers(state) {
    return {
        RemoteStartTransaction: () => ({ response: accepted }),
        RemoteStopTransaction: () => ({ response: accepted }),
        SetChargingProfile: () => ({ response: accepted }),
        ClearChargingProfile: () => ({ response: accepted }),
        GetCompositeSchedule: (p) => ({
            response: {
                status: 'Accepted',
                connectorId: p.connectorId,
                scheduleStart: now(),
                chargingSchedule: { duration: p.duration, chargingRateUnit: p.chargingRateUnit ?? 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16.0 }] },
            },
        }),
        Reset: () => ({ response: accepted }),
        UnlockConnector: () => ({ response: { status: 'Unlocked' } }),
        ChangeAvailability: () => ({ response: accepted }),
        GetConfiguration: (p) => ({
            response: {
                configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }],
                unknownKey: (p.key ?? []).filter((key) => key !== 'HeartbeatInterval'),
            },
        }),
        ChangeConfiguration: () => ({ response: accepted }),
        TriggerMessage: (p) => ({
            response: accepted,
            followup:
                p.requestedMessage === 'StatusNotification'
                    ? [{ action: 'StatusNotification', params: { connectorId: p.connectorId ?? 0, errorCode: 'NoError', status: 'Available', timestamp: now() } }]
                    : undefined,
        }),
        ClearCache: () => ({ response: accepted }),
        DataTransfer: (p) => ({ response: { status: 'Accepted', data: p.data } }),
        UpdateFirmware: () => ({
            response: {},
            followup: ['Downloading', 'Downloaded', 'Installing', 'Installed'].map((status) => ({ action: 'FirmwareStatusNotification', params: { status } })),
        }),
        GetDiagnostics: () => ({ response: { fileName: 'diagnostics.log' } }),
        SendLocalList: (p) => {
            state.localListVersion = p.listVersion;
            return { response: accepted };
        },
        GetLocalListVersion: () => ({ response: { listVersion: state.localListVersion } }),
        ReserveNow: () => ({ response: accepted }),
        CancelReservation: () => ({ response: accepted }),
    };
}

function v2Answers(state) {
    const result = (d, status = 'Accepted') => ({ attributeStatus: status, component: d.component, variable: d.variable, attributeType: d.attributeType });
    return {
        RequestStartTransaction: () => ({ response: accepted }),
        RequestStopTransaction: () => ({ response: accepted }),
        SetChargingProfile: (p) => {
            state.profiles.push(p.chargingProfile);
            return { response: accepted };
        },
        ClearChargingProfile: () => ({ response: accepted }),
        GetChargingProfiles: (p) =>
            state.profiles.length === 0
                ? { response: { status: 'NoProfiles' } }
                : {
                      response: accepted,
                      // The report carries the profile the CSMS set, a payload its own CALL passed strict mode with.
                      followup: [
                          {
                              action: 'ReportChargingProfiles',
                              params: { requestId: p.requestId, chargingLimitSource: 'CSO', evseId: p.evseId ?? 1, chargingProfile: state.profiles.slice(-1) },
                          },
                      ],
                  },
        GetCompositeSchedule: (p) => ({
            response: {
                status: 'Accepted',
                schedule: { evseId: p.evseId, duration: p.duration, scheduleStart: now(), chargingRateUnit: p.chargingRateUnit ?? 'A', chargingSchedulePeriod: [{ startPeriod: 0, limit: 16 }] },
            },
        }),
        Reset: () => ({ response: accepted }),
        UnlockConnector: () => ({ response: { status: 'Unlocked' } }),
        ChangeAvailability: () => ({ response: accepted }),
        GetVariables: (p) => ({ response: { getVariableResult: p.getVariableData.map((d) => ({ ...result(d), attributeValue: '300' })) } }),
        SetVariables: (p) => ({ response: { setVariableResult: p.setVariableData.map((d) => result(d)) } }),
        GetBaseReport: (p) => ({
            response: accepted,
            followup: [
                {
                    action: 'NotifyReport',
                    params: {
                        requestId: p.requestId,
                        generatedAt: now(),
                        seqNo: 0,
                        reportData: [{ component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' }, variableAttribute: [{ type: 'Actual', value: '300' }] }],
                    },
                },
            ],
        }),
        TriggerMessage: (p) => ({
            response: accepted,
            followup:
                p.requestedMessage === 'StatusNotification'
                    ? [{ action: 'StatusNotification', params: { timestamp: now(), connectorStatus: 'Available', evseId: p.evse?.id ?? 1, connectorId: p.evse?.connectorId ?? 1 } }]
                    : undefined,
        }),
        ClearCache: () => ({ response: accepted }),
        DataTransfer: (p) => ({ response: { status: 'Accepted', data: p.data } }),
        UpdateFirmware: (p) => ({
            response: accepted,
            followup: ['Downloading', 'Installed'].map((status) => ({ action: 'FirmwareStatusNotification', params: { status, requestId: p.requestId } })),
        }),
        GetLog: (p) => ({
            response: { status: 'Accepted', filename: 'log.txt' },
            followup: [{ action: 'LogStatusNotification', params: { status: 'Uploaded', requestId: p.requestId } }],
        }),
        SendLocalList: (p) => {
            state.localListVersion = p.versionNumber;
            return { response: accepted };
        },
        GetLocalListVersion: () => ({ response: { versionNumber: state.localListVersion } }),
        ReserveNow: () => ({ response: accepted }),
        CancelReservation: () => ({ response: accepted }),
    };
}

export function commandAnswers(protocol, state) {
    return protocol === 'ocpp1.6' ? v16Answers(state) : v2Answers(state);
}
