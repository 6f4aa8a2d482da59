// Shared by the strict-mode clients (session.mjs, conformance.mjs): what ocpp-rpc needs to be strict on 2.1.

import { createRequire } from 'node:module';

import ocppRpc from 'ocpp-rpc';

const { createValidator } = ocppRpc;
const require = createRequire(import.meta.url);

/**
 * The OCPP 2.1 validator with the schema ids the library looks up. ocpp-rpc 2.2.1 ships the 2.1
 * schemas with the specification's ids (urn:AuthorizeRequest) but looks them up by the 1.6/2.0.1
 * convention (urn:Authorize.req), so its built-in 2.1 strict mode rejects every message
 * (mikuso/ocpp-rpc pull request #94). Only the ids change; every constraint stays as shipped.
 */
export function ocpp21Validator() {
    const schemas = require('ocpp-rpc/lib/schemas/ocpp2_1.json').map((schema) => ({
        ...schema,
        $id: schema.$id.replace(/Request$/, '.req').replace(/Response$/, '.conf'),
        definitions: withoutNoOpKeywords(schema.definitions ?? {}),
    }));
    return createValidator('ocpp2.1', schemas);
}

/**
 * The 2.1 enum definitions carry "additionalProperties": false on string types, where it has no
 * effect; Ajv warns about each one on stderr. Dropping the keyword there changes no verdict.
 */
function withoutNoOpKeywords(definitions) {
    return Object.fromEntries(
        Object.entries(definitions).map(([name, definition]) => {
            if (definition.type === 'object' || !('additionalProperties' in definition)) return [name, definition];
            const { additionalProperties: _ignored, ...rest } = definition;
            return [name, rest];
        }),
    );
}
