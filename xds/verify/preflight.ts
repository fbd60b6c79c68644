import type { Violation } from '../envoy/validate-rules';
import { DELIVERY_ORDER } from '../envoy/type-urls';
import type { SourceLocator } from './sources';
import type { RenderedView } from '../render/types';

/** A rule of Envoy's protos broken by a rendered resource, named the way the API reports fields. */
export interface PreflightError {
  /** `clusters["outbound|80||a.svc"].connect_timeout`: the resource type, its name, then proto field names. */
  path: string;
  message: string;
  /** The protoc-gen-validate rule, e.g. `duration.gt = 0s`. */
  rule: string;
  /** The intent object behind it (`VirtualService/default/reviews`) and the rule in it, when known. */
  object?: string;
  objectPath?: string;
}

/**
 * Pre-flight: every resource of a snapshot checked against the rules of Envoy's protos, which Envoy
 * enforces by rejecting the whole response. `validate` is EnvoyRegistry.validate.
 */
export function preflightSnapshot(snapshot: RenderedView, validate: (json: Record<string, unknown>) => Violation[], locate?: SourceLocator): PreflightError[] {
  const errors: PreflightError[] = [];
  for (const type of DELIVERY_ORDER) {
    for (const r of snapshot.types[type].resources.values()) {
      for (const v of validate(r.json)) {
        const source = locate?.(type, r.json, v.path) ?? {};
        errors.push({
          path: `${type}[${JSON.stringify(r.name)}]${v.path ? `.${v.path}` : ''}`,
          message: v.message,
          rule: v.rule,
          ...(source.object ? { object: source.object } : {}),
          ...(source.objectPath ? { objectPath: source.objectPath } : {}),
        });
      }
    }
  }
  return errors;
}
