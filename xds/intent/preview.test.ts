import { describe, expect, it } from 'vitest';
import { previewSettings } from './preview';
import { errorsOf, validateYaml } from './test-utils';

const vs = (annotations: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  annotations: {${annotations}}
spec:
  hosts: [reviews]
  http: [{route: [{destination: {host: reviews, subset: v1}, weight: 100}, {destination: {host: reviews, subset: v2}, weight: 0}]}]
`;

describe('preview annotations on a VirtualService', () => {
  it('accepts header, host and both, with a header name of its own', () => {
    for (const a of ['xdsflare.dev/preview: header', 'xdsflare.dev/preview: host', 'xdsflare.dev/preview: "header, host", xdsflare.dev/preview-header: x-subset']) {
      expect(errorsOf(validateYaml(vs(a)))).toEqual([]);
    }
  });

  it('reads the settings: the header defaults to x-route-to', () => {
    expect(previewSettings({ 'xdsflare.dev/preview': 'header,host' })).toEqual({ header: 'x-route-to', host: true });
    expect(previewSettings({ 'xdsflare.dev/preview': 'host' })).toEqual({ host: true });
    expect(previewSettings({ 'xdsflare.dev/preview': 'header', 'xdsflare.dev/preview-header': 'x-subset' })).toEqual({ header: 'x-subset', host: false });
    expect(previewSettings({})).toBeUndefined();
  });

  it('refuses an unknown mode, naming the annotation', () => {
    expect(errorsOf(validateYaml(vs('xdsflare.dev/preview: "header,path"')))).toEqual([
      { path: 'metadata.annotations["xdsflare.dev/preview"]', message: 'unknown preview mode "path"; expected "header", "host" or "header,host"' },
    ]);
  });

  it('refuses a header name that is not one, or one without header mode', () => {
    expect(errorsOf(validateYaml(vs('xdsflare.dev/preview: header, xdsflare.dev/preview-header: "X Route"')))).toEqual([
      { path: 'metadata.annotations["xdsflare.dev/preview-header"]', message: `"X Route" is not a lower-case HTTP header name (letters, digits and !#$%&'*+.^_\`|~-)` },
    ]);
    expect(errorsOf(validateYaml(vs('xdsflare.dev/preview: host, xdsflare.dev/preview-header: x-subset')))).toEqual([
      { path: 'metadata.annotations["xdsflare.dev/preview-header"]', message: 'names the header of header previews; set xdsflare.dev/preview: "header" (or "header,host") too' },
    ]);
  });
});
