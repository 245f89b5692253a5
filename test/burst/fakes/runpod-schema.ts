/**
 * The slice of RunPod's published GraphQL schema (https://graphql-spec.runpod.io/) the fake enforces, with the
 * errors a GraphQL server gives for a bad variable. Field lists match the inputs runpod-python
 * (runpod/api/mutations/pods.py) and dstack (backends/runpod/api_client.py) send.
 */

type FieldType = 'String' | 'Int' | 'Float' | 'Boolean' | 'CloudTypeEnum' | '[EnvironmentVariableInput]' | '[String]';

const DEPLOY_FIELDS: Record<string, FieldType> = {
  aiApiId: 'String', cloudType: 'CloudTypeEnum', containerDiskInGb: 'Int', countryCode: 'String', dataCenterId: 'String',
  deployCost: 'Float', dockerArgs: 'String', env: '[EnvironmentVariableInput]', gpuCount: 'Int', gpuTypeId: 'String',
  gpuTypeIdList: '[String]', imageName: 'String', minCudaVersion: 'String', minDisk: 'Int', minDownload: 'Int',
  minMemoryInGb: 'Int', minUpload: 'Int', minVcpuCount: 'Int', name: 'String', networkVolumeId: 'String', port: 'Int',
  ports: 'String', startJupyter: 'Boolean', startSsh: 'Boolean', supportPublicIp: 'Boolean', templateId: 'String',
  volumeInGb: 'Int', volumeKey: 'String', volumeMountPath: 'String', allowedCudaVersions: '[String]',
};

/** podRentInterruptable takes the same fields plus the bid (dstack sends bidPerGpu for spot pods). */
const RENT_FIELDS: Record<string, FieldType> = { ...DEPLOY_FIELDS, bidPerGpu: 'Float' };

export const INPUT_TYPES = {
  podFindAndDeployOnDemand: { type: 'PodFindAndDeployOnDemandInput', fields: DEPLOY_FIELDS, required: [] as string[] },
  podRentInterruptable: { type: 'PodRentInterruptableInput', fields: RENT_FIELDS, required: ['bidPerGpu'] },
};

function typeError(t: FieldType, v: unknown): string | null {
  if (v === null) return null; // every field of these inputs is nullable
  switch (t) {
    case 'String': return typeof v === 'string' ? null : `String cannot represent a non string value: ${JSON.stringify(v)}`;
    case 'Int': return Number.isInteger(v) ? null : `Int cannot represent non-integer value: ${JSON.stringify(v)}`;
    case 'Float': return typeof v === 'number' ? null : `Float cannot represent non numeric value: ${JSON.stringify(v)}`;
    case 'Boolean': return typeof v === 'boolean' ? null : `Boolean cannot represent a non boolean value: ${JSON.stringify(v)}`;
    case 'CloudTypeEnum': return ['ALL', 'SECURE', 'COMMUNITY'].includes(String(v)) ? null : `Value ${JSON.stringify(v)} does not exist in "CloudTypeEnum" enum.`;
    case '[String]': return Array.isArray(v) && v.every((x) => typeof x === 'string') ? null : 'Expected a list of String.';
    case '[EnvironmentVariableInput]':
      if (!Array.isArray(v)) return 'Expected a list of EnvironmentVariableInput.';
      // EnvironmentVariableInput { key: String!, value: String! }
      for (const e of v as Record<string, unknown>[]) {
        for (const k of ['key', 'value']) if (typeof e?.[k] !== 'string') return `Field "${k}" of required type "String!" was not provided or is null.`;
        const extra = Object.keys(e).find((k) => k !== 'key' && k !== 'value');
        if (extra) return `Field "${extra}" is not defined by type "EnvironmentVariableInput".`;
      }
      return null;
  }
}

/** The GraphQL error for `$input`, or null when the variable fits the declared input type. */
export function inputError(mutation: keyof typeof INPUT_TYPES, query: string, input: unknown): string | null {
  const spec = INPUT_TYPES[mutation];
  const declared = new RegExp(`\\$input:\\s*${spec.type}!?\\b`).exec(query);
  if (!declared) return `Variable "$input" is not declared as ${spec.type} for ${mutation}.`;
  if (!input || typeof input !== 'object') return `Variable "$input" got invalid value ${JSON.stringify(input)}; Expected type "${spec.type}" to be an object.`;
  const bad = (msg: string) => `Variable "$input" got invalid value ${JSON.stringify(input)}; ${msg}`;
  for (const [k, v] of Object.entries(input)) {
    const t = spec.fields[k];
    if (!t) return bad(`Field "${k}" is not defined by type "${spec.type}".`);
    const e = typeError(t, v);
    if (e) return bad(`at "input.${k}": ${e}`);
  }
  for (const k of spec.required) if ((input as Record<string, unknown>)[k] === undefined) return bad(`Field "${k}" of required type "Float!" was not provided.`);
  return null;
}
