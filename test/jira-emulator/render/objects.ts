/**
 * Small Jira objects as REST returns them: users, statuses, issue types, priorities, projects,
 * link types. Cloud and Data Center differ in user identity (accountId vs name/key) and a few fields.
 */
import { ISSUE_TYPE_DEFS, LINK_TYPES, PRIORITIES, STATUS_CATEGORIES, issueTypeName } from '../model/catalog.ts';
import type { IssueStore } from '../model/store.ts';
import type { IssueTypeName, ProjectRecord, StatusRecord, UserRecord } from '../model/types.ts';

/** What every renderer needs to know about the request. */
export interface RenderContext {
  store: IssueStore;
  /** http://127.0.0.1:PORT, no trailing slash. */
  baseUrl: string;
  /** REST API version of the request: 3 renders ADF, 2 renders wiki markup. */
  api: 2 | 3;
  /** Zone dates are written in (the caller's). */
  timeZone: string;
}

const rest = (ctx: RenderContext) => `${ctx.baseUrl}/rest/api/${ctx.api}`;

export function avatarUrls(ctx: RenderContext, kind: 'user' | 'project', id: string): Record<string, string> {
  const base = kind === 'user' ? `${ctx.baseUrl}/secure/useravatar?ownerId=${encodeURIComponent(id)}` : `${ctx.baseUrl}/secure/projectavatar?pid=${id}`;
  return { '48x48': `${base}&size=large`, '24x24': `${base}&size=small`, '16x16': `${base}&size=xsmall`, '32x32': `${base}&size=medium` };
}

export function renderUser(ctx: RenderContext, u: UserRecord): Record<string, unknown> {
  if (ctx.store.mode === 'datacenter') {
    return {
      self: `${rest(ctx)}/user?username=${encodeURIComponent(u.name)}`,
      name: u.name,
      key: u.userKey,
      ...(u.email ? { emailAddress: u.email } : {}),
      avatarUrls: avatarUrls(ctx, 'user', u.userKey),
      displayName: u.displayName,
      active: u.active,
      timeZone: u.timeZone,
    };
  }
  return {
    self: `${rest(ctx)}/user?accountId=${encodeURIComponent(u.accountId)}`,
    accountId: u.accountId,
    ...(u.email ? { emailAddress: u.email } : {}),
    avatarUrls: avatarUrls(ctx, 'user', u.accountId),
    displayName: u.displayName,
    active: u.active,
    timeZone: u.timeZone,
    accountType: 'atlassian',
  };
}

export function renderUserIndex(ctx: RenderContext, index: number): Record<string, unknown> | null {
  return index < 0 ? null : renderUser(ctx, ctx.store.users[index]);
}

export function renderStatus(ctx: RenderContext, s: StatusRecord): Record<string, unknown> {
  const cat = STATUS_CATEGORIES[s.category];
  return {
    self: `${rest(ctx)}/status/${s.id}`,
    description: '',
    iconUrl: `${ctx.baseUrl}/images/icons/statuses/generic.png`,
    name: s.name,
    id: s.id,
    statusCategory: { self: `${rest(ctx)}/statuscategory/${cat.id}`, id: cat.id, key: cat.key, colorName: cat.colorName, name: cat.name },
  };
}

export function renderStatusName(ctx: RenderContext, name: string): Record<string, unknown> {
  return renderStatus(ctx, ctx.store.ensureStatus(name));
}

export function renderIssueType(ctx: RenderContext, type: IssueTypeName): Record<string, unknown> {
  const d = ISSUE_TYPE_DEFS[type];
  return {
    self: `${rest(ctx)}/issuetype/${d.id}`,
    id: d.id,
    description: d.description,
    iconUrl: `${rest(ctx)}/universal_avatar/view/type/issuetype/avatar/${d.avatarId}?size=medium`,
    name: issueTypeName(type, ctx.store.mode),
    subtask: d.subtask,
    avatarId: d.avatarId,
    ...(ctx.store.mode === 'cloud' ? { hierarchyLevel: d.hierarchyLevel } : {}),
  };
}

export function renderPriority(ctx: RenderContext, index: number): Record<string, unknown> {
  const p = PRIORITIES[index];
  return { self: `${rest(ctx)}/priority/${p.id}`, iconUrl: `${ctx.baseUrl}/images/icons/priorities/${p.name.toLowerCase()}.svg`, name: p.name, id: p.id };
}

export function renderProject(ctx: RenderContext, p: ProjectRecord): Record<string, unknown> {
  return {
    self: `${rest(ctx)}/project/${p.id}`,
    id: p.id,
    key: p.key,
    name: p.name,
    projectTypeKey: 'software',
    ...(ctx.store.mode === 'cloud' ? { simplified: false } : {}),
    avatarUrls: avatarUrls(ctx, 'project', p.id),
  };
}

export function renderLinkType(ctx: RenderContext, name: string): Record<string, unknown> {
  const t = ctx.store.linkTypes.find((l) => l.name === name) ?? LINK_TYPES[3];
  return { id: t.id, name: t.name, inward: t.inward, outward: t.outward, self: `${rest(ctx)}/issueLinkType/${t.id}` };
}
