import type { ServiceIR } from '../ir/types';
import type { Diagnostics } from './diagnostics';
import type { DestinationPolicyIR } from './services';
import type { SourceSelectors } from './source-selectors';

/** What translating a VirtualService's routes reads (services, DestinationRule policies) and where it reports. */
export interface RouteContext {
  services: Map<string, ServiceIR>;
  policies: Map<string, DestinationPolicyIR>;
  diag: Diagnostics;
  /** Numbers the sourceLabels selectors of rendered routes (absent: numbered nowhere). */
  selectors?: SourceSelectors;
}
