import { makeBadge } from 'badge-maker';
import type { RunResult } from '../types.js';
import { applicable, buildMatrix } from './matrix.js';

/** The shields.io endpoint format, so a hosted badge.json can drive a live badge. */
export interface ShieldsEndpoint {
  schemaVersion: 1;
  label: string;
  message: string;
  color: 'brightgreen' | 'red';
}

export interface Badge {
  svg: string;
  shields: ShieldsEndpoint;
}

/**
 * `relay contract v1 | 3/3 relays · 100%` for a matrix of relays (a relay counts when nothing failed),
 * `87/90 passed` for a single relay. Percentages are of the cases that ran, rounded down so a run with
 * any failure never shows 100%.
 */
export function renderBadge(result: RunResult): Badge {
  const { passed, failed } = result.summary;
  const ran = applicable(result.summary);
  const rows = buildMatrix(result).rows;
  const message =
    rows.length === 1
      ? `${passed}/${ran} passed`
      : `${rows.filter((row) => row.totals.failed === 0).length}/${rows.length} relays · ${ran === 0 ? 0 : Math.floor((100 * passed) / ran)}%`;
  const shields: ShieldsEndpoint = {
    schemaVersion: 1,
    label: `relay contract ${result.contract.version}`,
    message,
    color: failed === 0 ? 'brightgreen' : 'red',
  };
  return { svg: makeBadge({ label: shields.label, message, color: shields.color }), shields };
}
