/**
 * Generated text: summaries and ADF documents with the constructs that break naive renderers —
 * nested lists, code blocks, tables, mentions, emoji, links, non-Latin scripts and very long lines.
 */
import { Rng } from './random.ts';

const VERBS = ['Fix', 'Add', 'Remove', 'Refactor', 'Document', 'Investigate', 'Migrate', 'Speed up', 'Harden', 'Split', 'Rename', 'Validate'];
const THINGS = ['login flow', 'payment retries', 'CSV export', 'search index', 'webhook handler', 'rate limiter', 'audit log',
  'dark mode', 'onboarding e-mail', 'billing report', 'cache eviction', 'API pagination', 'session timeout', 'upload widget'];
const QUALIFIERS = ['for EU tenants', 'on mobile', 'after upgrade', 'under load', 'in Safari', 'for admins', 'behind the proxy', 'with SSO'];
const NON_LATIN = [
  'ログイン画面の不具合を修正する', '修复导出功能中的编码问题', 'Исправить ошибку синхронизации', 'Διόρθωση σφάλματος στην αναζήτηση',
  'إصلاح خطأ في تسجيل الدخول', 'תיקון באג בייצוא', '로그인 오류 수정', 'แก้ไขปัญหาการเข้าสู่ระบบ',
];
const EMOJI = [
  { shortName: ':rocket:', id: '1f680', text: '🚀' },
  { shortName: ':bug:', id: '1f41b', text: '🐛' },
  { shortName: ':white_check_mark:', id: '2705', text: '✅' },
  { shortName: ':warning:', id: '26a0', text: '⚠️' },
  { shortName: ':fire:', id: '1f525', text: '🔥' },
];
export const LABELS = ['backend', 'frontend', 'security', 'performance', 'tech-debt', 'customer', 'regression', 'docs', 'ux', 'infra'];
const WORDS = ('the service should handle the request gracefully when upstream returns an error and the user must see a clear ' +
  'message while retries happen in the background without blocking other work on the queue').split(' ');

/** A summary (≤ 255 characters, Jira's limit); some are non-Latin, some carry emoji, some are very long. */
export function generateSummary(rng: Rng): string {
  const roll = rng.next();
  if (roll < 0.08) return rng.pick(NON_LATIN);
  let s = `${rng.pick(VERBS)} ${rng.pick(THINGS)} ${rng.pick(QUALIFIERS)}`;
  if (roll < 0.14) s += ` ${rng.pick(EMOJI).text}`;
  if (roll > 0.95) {
    // A long summary: Jira allows up to 255 characters.
    while (s.length < 240) s += ` ${rng.pick(WORDS)}`;
    s = s.slice(0, 255);
  }
  return s;
}

type AdfNode = Record<string, unknown>;
const text = (t: string, marks?: AdfNode[]): AdfNode => (marks ? { type: 'text', text: t, marks } : { type: 'text', text: t });
const para = (...content: AdfNode[]): AdfNode => ({ type: 'paragraph', content });

function sentence(rng: Rng, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(rng.pick(WORDS));
  const s = out.join(' ');
  return s[0].toUpperCase() + s.slice(1) + '.';
}

/** Mention targets: accountId and display name of users that exist in the emulator. */
export interface MentionTarget { accountId: string; displayName: string }

/** An ADF description (or null for ~10% of issues: many real issues have none). */
export function generateDescription(rng: Rng, users: readonly MentionTarget[]): AdfNode | null {
  if (rng.chance(0.1)) return null;
  const content: AdfNode[] = [para(text(sentence(rng, rng.int(6, 16))))];
  if (rng.chance(0.5)) {
    const u = rng.pick(users);
    content.push(para(text('Assigned reviewer: '), { type: 'mention', attrs: { id: u.accountId, text: `@${u.displayName}`, accessLevel: '' } },
      text(' '), { type: 'emoji', attrs: rng.pick(EMOJI) }));
  }
  if (rng.chance(0.6)) {
    content.push({ type: 'heading', attrs: { level: 2 }, content: [text('Steps')] });
    const items = Array.from({ length: rng.int(2, 4) }, () => ({ type: 'listItem', content: [para(text(sentence(rng, rng.int(3, 8))))] }));
    if (rng.chance(0.4)) {
      // A nested bullet list inside the last item.
      (items[items.length - 1].content as AdfNode[]).push({
        type: 'bulletList',
        content: [{ type: 'listItem', content: [para(text('nested: '), text(rng.pick(THINGS), [{ type: 'strong' }]))] }],
      });
    }
    content.push({ type: rng.chance(0.5) ? 'orderedList' : 'bulletList', content: items });
  }
  if (rng.chance(0.4)) {
    content.push({
      type: 'codeBlock',
      attrs: { language: rng.pick(['typescript', 'yaml', 'bash', 'json']) },
      content: [text(rng.pick([
        'const retries = await withBackoff(() => client.get(url), { max: 5 });',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings',
        'curl -sS -H "Accept: application/json" "$JIRA/rest/api/3/myself"',
        '{"ok": false, "error": "timeout", "retryAfter": 30}',
      ]))],
    });
  }
  if (rng.chance(0.25)) {
    const cell = (t: string, header = false): AdfNode => ({ type: header ? 'tableHeader' : 'tableCell', attrs: {}, content: [para(text(t))] });
    content.push({
      type: 'table',
      attrs: { isNumberColumnEnabled: false, layout: 'default' },
      content: [
        { type: 'tableRow', content: [cell('Environment', true), cell('Result', true)] },
        { type: 'tableRow', content: [cell('staging'), cell(rng.pick(['pass', 'fail', 'flaky']))] },
        { type: 'tableRow', content: [cell('production'), cell(rng.pick(['pass', 'fail', 'n/a']))] },
      ],
    });
  }
  if (rng.chance(0.3)) {
    content.push(para(text('See '), text('the runbook', [{ type: 'link', attrs: { href: 'https://example.com/runbook' } }]),
      text(' and '), text('retry()', [{ type: 'code' }]), text(' — '), text(rng.pick(NON_LATIN), [{ type: 'em' }])));
  }
  return { type: 'doc', version: 1, content };
}

/** A short ADF comment body. */
export function generateCommentBody(rng: Rng): AdfNode {
  return { type: 'doc', version: 1, content: [para(text(sentence(rng, rng.int(4, 12))))] };
}

/** A plain-text ADF document (what the control API makes of a string). */
export function plainDoc(s: string): AdfNode {
  const paragraphs = s.split(/\n{2,}/).filter((p) => p.length > 0);
  return { type: 'doc', version: 1, content: paragraphs.map((p) => para(text(p))) };
}
