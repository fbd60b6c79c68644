import type { z } from 'zod';

/** Opt-in preview routes for canaries (Knative's tags): `header`, `host` or `header,host`. */
export const PREVIEW_ANNOTATION = 'xdsflare.dev/preview';
/** The header that picks a subset in `header` mode; default `x-route-to`. */
export const PREVIEW_HEADER_ANNOTATION = 'xdsflare.dev/preview-header';
export const DEFAULT_PREVIEW_HEADER = 'x-route-to';
/** A derived host `<subset>---<host>` reaches one subset. */
export const PREVIEW_HOST_SEPARATOR = '---';

export type PreviewMode = 'header' | 'host';
const MODES: readonly PreviewMode[] = ['header', 'host'];
// An HTTP header token in lower case (HTTP/2 and gRPC metadata keys are lower case); no pseudo-headers.
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

export interface PreviewSettings {
  header?: string;
  host: boolean;
}

/** The preview settings of an object's annotations (validated), or undefined when it has none. */
export function previewSettings(annotations: Record<string, string> | undefined): PreviewSettings | undefined {
  const value = annotations?.[PREVIEW_ANNOTATION];
  if (value === undefined) return undefined;
  const modes = value.split(',').map((m) => m.trim());
  return {
    ...(modes.includes('header') ? { header: annotations?.[PREVIEW_HEADER_ANNOTATION] ?? DEFAULT_PREVIEW_HEADER } : {}),
    host: modes.includes('host'),
  };
}

type Annotated = { metadata: { annotations?: Record<string, string> | undefined } };

/** Checks the preview annotations of an object, naming the annotation at fault. */
export function checkPreviewAnnotations(object: Annotated, ctx: z.core.$RefinementCtx<Annotated>): void {
  const annotations = object.metadata.annotations ?? {};
  const at = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: ['metadata', 'annotations', key], message });
  const value = annotations[PREVIEW_ANNOTATION];
  const modes = value?.split(',').map((m) => m.trim()) ?? [];
  if (value !== undefined) {
    const unknown = modes.filter((m) => !(MODES as readonly string[]).includes(m));
    if (unknown.length) at(PREVIEW_ANNOTATION, `unknown preview mode ${unknown.map((m) => JSON.stringify(m)).join(', ')}; expected "header", "host" or "header,host"`);
    else if (new Set(modes).size !== modes.length) at(PREVIEW_ANNOTATION, `a preview mode is repeated in "${value}"`);
  }
  const header = annotations[PREVIEW_HEADER_ANNOTATION];
  if (header === undefined) return;
  if (!modes.includes('header')) at(PREVIEW_HEADER_ANNOTATION, `names the header of header previews; set ${PREVIEW_ANNOTATION}: "header" (or "header,host") too`);
  else if (!HEADER_NAME.test(header)) at(PREVIEW_HEADER_ANNOTATION, `"${header}" is not a lower-case HTTP header name (letters, digits and !#$%&'*+.^_\`|~-)`);
}
