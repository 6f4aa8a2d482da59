#!/usr/bin/env node
// Every supported message beyond the charging session, spoken by an independent client: ocpp-rpc in
// strict mode validates every CALL we send, every CALLRESULT the CSMS returns, every CALL the CSMS
// sends us (the operator commands) and our answers against the official OCPP JSON schemas.
//
//   node conformance.mjs --url ws://127.0.0.1:9000/ocpp --id CP-1 --password SECRET
//       --protocol ocpp1.6|ocpp2.0.1|ocpp2.1 --expect Reset,UnlockConnector,... [--await-s 60]
//
// After BootNotification it prints {"awaiting": "commands"}: the test then sends its commands through
// the operator API, and this client answers each CALL like a willing charge point (following up
// triggers, reports and firmware progress as a real one does). Once the CALLs named by --expect have
// arrived it sends every charge-point-initiated message of the supported profiles, closes and prints
// a summary {"ok": true, "responses": {...}, "inbound": [...]}. Exit codes: 0 all conformed; 1 a
// schema violation, CALLERROR, unexpected answer or lost connection ({"ok": false, "error": ...}
// last); 2 usage error.

import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import ocppRpc from 'ocpp-rpc';

import { chargePointMessages, commandAnswers } from './messages.mjs';
import { ocpp21Validator } from './strict.mjs';

const { RPCClient, RPCError, createRPCError } = ocppRpc;
const PROTOCOLS = ['ocpp1.6', 'ocpp2.0.1', 'ocpp2.1'];

class Failure extends Error {
    constructor(kind, message, fields = {}) {
        super(message);
        this.kind = kind;
        this.fields = fields;
    }

    toJSON() {
        return { kind: this.kind, message: this.message, ...this.fields };
    }
}

function emit(record) {
    process.stdout.write(`${JSON.stringify(record)}\n`);
}

function options() {
    const { values } = parseArgs({
        strict: true,
        options: {
            url: { type: 'string' },
            id: { type: 'string' },
            password: { type: 'string' },
            protocol: { type: 'string' },
            expect: { type: 'string', default: '' },
            'await-s': { type: 'string', default: '60' },
        },
    });
    for (const name of ['url', 'id', 'password', 'protocol']) {
        if (!values[name]) throw new Failure('usage', `--${name} is required`);
    }
    if (!PROTOCOLS.includes(values.protocol)) throw new Failure('usage', `--protocol: one of ${PROTOCOLS}`);
    return {
        url: values.url.replace(/\/+$/, ''),
        identity: values.id,
        password: values.password,
        protocol: values.protocol,
        expected: values.expect ? values.expect.split(',') : [],
        awaitMs: Number(values['await-s']) * 1000,
    };
}

class Station {
    constructor(opts) {
        this.opts = opts;
        this.failure = null;
        this.closing = false;
        this.responses = {};
        this.inbound = [];
        this.state = { localListVersion: 0, profiles: [] };
        this.followups = [];
        this.client = new RPCClient({
            endpoint: opts.url,
            identity: opts.identity,
            password: opts.password,
            protocols: [opts.protocol],
            strictMode: true,
            strictModeValidators: opts.protocol === 'ocpp2.1' ? [ocpp21Validator()] : [],
            callTimeoutMs: 10000,
            reconnect: false,
            maxBadMessages: 0,
        });
        this.client.on('strictValidationFailure', (event) => {
            const direction = event.outbound ? 'outbound' : 'inbound';
            this.fail(
                new Failure('strictValidation', `${direction} ${event.isCall ? 'CALL' : 'CALLRESULT'} ${event.method} violates the schema`, {
                    action: event.method,
                    direction,
                    detail: event.error?.message,
                    params: event.params,
                    result: event.result ?? undefined,
                }),
            );
        });
        this.client.on('badMessage', (event) => this.fail(new Failure('badMessage', String(event.error?.message))));
        this.client.on('disconnect', ({ code, reason }) => {
            if (!this.closing) this.fail(new Failure('disconnected', `server closed the connection (${code} ${reason})`));
        });
        const answers = commandAnswers(opts.protocol, this.state);
        this.client.handle(({ method, params }) => {
            const answer = answers[method];
            if (!answer) {
                this.inbound.push({ action: method, request: params, response: 'NotImplemented' });
                throw createRPCError('NotImplemented', `${method} is not implemented by this client`);
            }
            const { response, followup } = answer(params);
            this.inbound.push({ action: method, request: params, response });
            emit({ exchange: method, direction: 'inbound', request: params, response });
            // Sent once our answer is out, as a charge point does after e.g. TriggerMessage.
            if (followup) {
                const sent = sleep(50).then(() => this.sendAll(followup));
                // Kept and awaited later; a failure is recorded at once, never left as an unhandled rejection.
                this.followups.push(sent.catch((error) => this.fail(error instanceof Failure ? error : new Failure('followup', String(error)))));
            }
            return response;
        });
    }

    fail(failure) {
        this.failure ??= failure;
    }

    throwIfFailed() {
        if (this.failure) throw this.failure;
    }

    async call(action, params, key = action) {
        this.throwIfFailed();
        let response;
        try {
            response = await this.client.call(action, params);
        } catch (error) {
            this.throwIfFailed();
            if (error instanceof RPCError) {
                throw new Failure('callError', `${action} answered with CALLERROR ${error.rpcErrorCode}`, { action, detail: error.message });
            }
            throw new Failure('call', `${action} failed: ${error.message}`, { action });
        }
        this.throwIfFailed();
        emit({ exchange: action, key, direction: 'outbound', request: params, response });
        this.responses[key] = response;
        return response;
    }

    async sendAll(messages) {
        for (const { action, params, key, expect } of messages) {
            const response = await this.call(action, params, key);
            if (expect && !expect(response)) {
                throw new Failure('unexpectedAnswer', `${key ?? action}: unexpected answer ${JSON.stringify(response)}`);
            }
        }
    }

    async awaitCommands() {
        emit({ awaiting: 'commands', expected: this.opts.expected.length });
        const deadline = performance.now() + this.opts.awaitMs;
        while (this.inbound.length < this.opts.expected.length) {
            this.throwIfFailed();
            if (performance.now() > deadline) {
                throw new Failure('timeout', `${this.inbound.length} of ${this.opts.expected.length} CALLs arrived`, {
                    received: this.inbound.map((c) => c.action),
                });
            }
            await sleep(20);
        }
        await Promise.all(this.followups);
        const received = this.inbound.slice(0, this.opts.expected.length).map((c) => c.action);
        if (received.join() !== this.opts.expected.join()) {
            throw new Failure('unexpectedCalls', 'the CSMS sent other CALLs than expected', { received, expected: this.opts.expected });
        }
    }
}

async function main() {
    let opts;
    try {
        opts = options();
    } catch (error) {
        process.stderr.write(`conformance.mjs: ${error.message}\n`);
        return 2;
    }
    const station = new Station(opts);
    try {
        await station.client.connect();
        const boot = await station.call(...chargePointMessages(opts.protocol, opts.identity).boot);
        if (boot.status !== 'Accepted') throw new Failure('unexpectedAnswer', `BootNotification: ${boot.status}`);
        await station.awaitCommands();
        await station.sendAll(chargePointMessages(opts.protocol, opts.identity).messages);
        await Promise.all(station.followups);
        station.closing = true;
        await station.client.close({ code: 1000, awaitPending: true });
        station.throwIfFailed();
        emit({ ok: true, protocol: opts.protocol, responses: station.responses, inbound: station.inbound });
        return 0;
    } catch (error) {
        const failure = error instanceof Failure ? error : new Failure('internal', error?.stack ?? String(error));
        emit({ ok: false, protocol: opts.protocol, error: failure, inbound: station.inbound });
        station.closing = true;
        await station.client.close().catch(() => {});
        return 1;
    }
}

process.exitCode = await main();
