import { secretMask } from '../mask-secrets.js';
import type { Manifest } from '../types.js';

/**
 * target/manifest.json's text, `JSON.stringify(manifest)` with every secret masked, made from the
 * text of each node kept from the manifests before: a partial compile keeps the node objects of the
 * models it did not re-render, so a watch session's save turns only the changed nodes into JSON. A
 * secret is masked in each node's text alone; no spelling of one spans two nodes (their texts are
 * joined by JSON punctuation, which a connection string's password cannot hold).
 */
export class ManifestText {
  /** by node, and by the object-valued fields a partial compile keeps (order, childMap, parentMap): its masked `"key":value` text */
  private parts = new WeakMap<object, string>();
  private secretsKey: string | undefined;

  text(manifest: Manifest, secrets: string[]): string {
    const key = JSON.stringify(secrets);
    if (key !== this.secretsKey) {
      this.parts = new WeakMap();
      this.secretsKey = key;
    }
    const mask = secretMask(secrets);
    const part = (k: string, v: unknown): string => {
      const kept = v !== null && typeof v === 'object' ? this.parts.get(v) : undefined;
      if (kept !== undefined) return kept;
      const text = mask(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
      if (v !== null && typeof v === 'object') this.parts.set(v, text);
      return text;
    };
    const parts: string[] = [];
    for (const [k, v] of Object.entries(manifest)) {
      if (k === 'nodes') {
        const nodes = Object.entries(manifest.nodes).map(([id, node]) => part(id, node));
        parts.push(`"nodes":{${nodes.join(',')}}`);
      } else if (v !== undefined && typeof v !== 'function') parts.push(part(k, v));
    }
    return `{${parts.join(',')}}`;
  }
}
