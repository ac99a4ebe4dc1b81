/** Sent upstream as the User-Agent so ingestion can tell relayed traffic apart. */
export const VERSION = '0.1.0';
