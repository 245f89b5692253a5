/** Edits `<home>/luna.yaml` in place (comments and other keys kept) to register a downloaded model. */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, parseDocument, stringify } from 'yaml';
import { userConfigPath } from '../config/load.js';
import { ConfigError, UsageError } from '../errors.js';

export function localModelEntry(modelPath: string): Record<string, unknown> {
  return { provider: 'local', path: modelPath, threads: 1 };
}

/** The YAML a user would paste under their config to use the model. */
export function localModelSnippet(name: string, modelPath: string): string {
  return stringify({ models: { [name]: localModelEntry(modelPath) } });
}

/** Adds models.NAME; refuses to overwrite a different existing entry. Returns the config file path. */
export function addLocalModelToUserConfig(home: string, name: string, modelPath: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new UsageError(`model name "${name}": use letters, digits, dot, dash, underscore`);
  const file = userConfigPath(home);
  mkdirSync(path.dirname(file), { recursive: true });
  const existed = existsSync(file);
  const doc = parseDocument(existed ? readFileSync(file, 'utf8') : '');
  if (doc.errors.length) throw new ConfigError(`${file}: invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`, { hint: 'fix the file, then run the pull again with --add' });
  if (doc.contents === null) doc.contents = doc.createNode({}) as never;
  if (!isMap(doc.contents)) throw new ConfigError(`${file}: expected a mapping at the top level`);
  const current = doc.getIn(['models', name]);
  if (current !== undefined) {
    const plain = (current as { toJSON?: () => unknown }).toJSON?.() ?? current;
    const same = typeof plain === 'object' && plain !== null && (plain as { path?: string }).path === modelPath;
    if (same) return file;
    throw new UsageError(`models.${name} already exists in ${file}`, { hint: 'choose another --add name, or edit the file' });
  }
  doc.setIn(['models', name], doc.createNode(localModelEntry(modelPath)));
  // 0600: the user config may also hold API keys or database URLs.
  writeFileSync(file, doc.toString(), { mode: 0o600 });
  if (!existed) chmodSync(file, 0o600);
  return file;
}
