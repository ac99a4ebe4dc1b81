// Types for validators.generated.js (written by scripts/generate-validators.mjs).
import type { ValidateFunction } from 'ajv';

export declare const frontend_exception: ValidateFunction;
export declare const error_suppressed: ValidateFunction;
export declare const frontend_breadcrumb: ValidateFunction;
export declare const request_event: ValidateFunction;
export declare const probe_event: ValidateFunction;
export declare const analytics_event: ValidateFunction;
