/**
 * The deletion guard's thresholds at their boundaries (controller/sync/guard.ts); the engine-level
 * behaviour is in engine-guard.test.ts.
 */
import t from 'tap';
import { deletionConcern, type DeletionPlan } from '../../controller/sync/guard.ts';
import type { DeletionPolicy } from '../../controller/api/jirasync.ts';

const cases: { name: string; plan: DeletionPlan; policy?: DeletionPolicy; concern?: RegExp }[] = [
  { name: 'nothing to delete is never a concern, however short the enumeration', plan: { stored: 100, deleting: 0, kept: 100, enumerated: 0, approximate: 100 } },
  { name: 'an enumeration 10% below the approximate count is within tolerance', plan: { stored: 100, deleting: 10, kept: 90, enumerated: 90, approximate: 100 } },
  { name: 'an enumeration just over 10% below the approximate count is short', plan: { stored: 100, deleting: 11, kept: 89, enumerated: 89, approximate: 100 }, concern: /Jira enumerated 89 issues but its approximate count is 100/ },
  { name: 'a small scope may fall 5 issues short of the approximate count', plan: { stored: 20, deleting: 5, kept: 15, enumerated: 15, approximate: 20 } },
  { name: 'a small scope 6 issues short is short', plan: { stored: 20, deleting: 6, kept: 14, enumerated: 14, approximate: 20 }, concern: /approximate count is 20/ },
  { name: 'exactly half of the stored issues may go', plan: { stored: 20, deleting: 10, kept: 10 } },
  { name: 'one more than half may not', plan: { stored: 21, deleting: 11, kept: 10 }, concern: /maxDeletePercent \(50%\)/ },
  { name: 'the percentage does not apply to 10 stored issues', plan: { stored: 10, deleting: 9, kept: 1 } },
  { name: 'it applies from 11', plan: { stored: 11, deleting: 9, kept: 2 }, concern: /maxDeletePercent/ },
  { name: 'deleting every stored issue is a concern even for one', plan: { stored: 1, deleting: 1, kept: 0 }, concern: /every stored issue/ },
  { name: 'maxDeletePercent 100 still does not allow deleting everything', plan: { stored: 50, deleting: 50, kept: 0 }, policy: { maxDeletePercent: 100 }, concern: /every stored issue/ },
  { name: 'maxDeletePercent 0 makes any deletion a concern above 10 stored', plan: { stored: 11, deleting: 1, kept: 10 }, policy: { maxDeletePercent: 0 }, concern: /\(0%\)/ },
];

for (const c of cases) {
  t.test(c.name, async (t) => {
    const concern = deletionConcern(c.plan, c.policy);
    if (c.concern) t.match(concern, c.concern);
    else t.equal(concern, undefined);
  });
}
