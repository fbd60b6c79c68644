/** The Istio kinds this control plane accepts (networking.istio.io). */
export type IntentKind = 'ServiceEntry' | 'DestinationRule' | 'VirtualService' | 'Gateway' | 'EnvoyFilter' | 'Sidecar';

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A validated intent: Istio's envelope with a kind-specific spec (see the zod schemas beside this file). */
export interface IntentObject<K extends IntentKind = IntentKind, S = Record<string, unknown>> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
}

/** A problem with one field; `path` is the field's path in the object, e.g. `spec.http[1].route[0].weight`. */
export interface FieldError {
  path: string;
  message: string;
}
