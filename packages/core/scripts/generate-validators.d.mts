export declare const OUTPUT: string;
export declare const EVENT_TYPES: readonly string[];
export declare const AJV_OPTIONS: Record<string, unknown>;
export declare function generateValidators(): string;
