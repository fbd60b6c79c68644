import { relativeFilePath, WILDCARD_FILES } from '../envoy/file-paths';
import { RESOURCE_TYPES } from '../envoy/type-urls';
import { versionFor } from '../render/render';
import type { RenderedView } from '../render/types';

/** A DiscoveryResponse as Envoy's filesystem subscription reads it (proto3 JSON, each resource with `@type`). */
export interface DiscoveryResponseFile {
  version_info: string;
  type_url: string;
  resources: Record<string, unknown>[];
}

/** One file of an export: its path relative to the export directory, and what to write there. */
export interface ExportFile {
  name: string;
  content: DiscoveryResponseFile;
}

function named(snapshot: RenderedView, type: 'endpoints' | 'routes'): ExportFile[] {
  return [...snapshot.types[type].resources.values()].map((r) => ({
    name: relativeFilePath(type, r.name),
    content: { version_info: versionFor(snapshot, type, [r.name]), type_url: RESOURCE_TYPES[type], resources: [r.json] },
  }));
}

function wildcard(snapshot: RenderedView, type: 'clusters' | 'listeners'): ExportFile {
  const t = snapshot.types[type];
  return { name: WILDCARD_FILES[type], content: { version_info: t.version, type_url: RESOURCE_TYPES[type], resources: [...t.resources.values()].map((r) => r.json) } };
}

/**
 * A view rendered for the filesystem subscription (`{mode: 'file', dir}`) as the files to write, in
 * the order to write them: each EDS file before the CDS file whose clusters read it, clusters before
 * the RDS files whose routes use them, each RDS file before the LDS file whose listeners read it —
 * Envoy reloads a file the moment it is renamed into place, so a reference never dangles for a
 * newly added resource. One ClusterLoadAssignment or RouteConfiguration per file: Envoy rejects a
 * file EDS or RDS update with more than one.
 */
export function buildExportFiles(snapshot: RenderedView): ExportFile[] {
  return [...named(snapshot, 'endpoints'), wildcard(snapshot, 'clusters'), ...named(snapshot, 'routes'), wildcard(snapshot, 'listeners')];
}
