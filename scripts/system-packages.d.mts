export declare const SYSTEM_PACKAGES: { name: string; forSuites: string; present(): boolean }[];
export declare function ensureSystemPackages(log?: (line: string) => void): string[];
