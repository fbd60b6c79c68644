export declare const devVarsPath: string;
export declare function ensureDevVars(): { created: boolean; adminToken: string | undefined };
