/** /myself, /serverInfo and /field. */
import type { Core } from '../core.ts';
import type { ApiRequest, Reply } from '../http.ts';
import { formatJiraDateTime } from '../render/dates.ts';
import { fieldCatalog } from '../render/fields.ts';
import { avatarUrls } from '../render/objects.ts';

export function myself(core: Core, req: ApiRequest): Reply {
  const u = req.user;
  const ctx = { store: core.store, baseUrl: core.baseUrl, api: req.api, timeZone: u.timeZone };
  const common = {
    emailAddress: u.email,
    avatarUrls: avatarUrls(ctx, 'user', core.store.mode === 'cloud' ? u.accountId : u.userKey),
    displayName: u.displayName,
    active: true,
    timeZone: u.timeZone,
    locale: 'en_US',
    groups: { size: 1, items: [] },
    applicationRoles: { size: 1, items: [] },
    expand: 'groups,applicationRoles',
  };
  const body = core.store.mode === 'cloud'
    ? { self: `${core.baseUrl}/rest/api/${req.api}/user?accountId=${encodeURIComponent(u.accountId)}`, accountId: u.accountId, accountType: 'atlassian', ...common }
    : { self: `${core.baseUrl}/rest/api/2/user?username=${encodeURIComponent(u.name)}`, key: u.userKey, name: u.name, deleted: false, ...common };
  return { status: 200, body };
}

export function serverInfo(core: Core): Reply {
  const cloud = core.store.mode === 'cloud';
  return {
    status: 200,
    body: {
      baseUrl: core.baseUrl,
      ...(cloud ? { displayUrl: core.baseUrl } : {}),
      version: cloud ? '1001.0.0-SNAPSHOT' : '9.12.15',
      versionNumbers: cloud ? [1001, 0, 0] : [9, 12, 15],
      deploymentType: cloud ? 'Cloud' : 'Server',
      buildNumber: cloud ? 100289 : 9120015,
      buildDate: formatJiraDateTime(Date.UTC(2024, 10, 1), 'UTC'),
      serverTime: formatJiraDateTime(Date.now(), 'UTC'),
      scmInfo: 'jira-emulator',
      serverTitle: 'Jira',
      defaultLocale: { locale: 'en_US' },
      ...(cloud ? { serverTimeZone: 'Etc/UTC' } : {}),
    },
  };
}

export function fields(core: Core): Reply {
  return {
    status: 200,
    body: fieldCatalog(core.store.mode).map((f) => ({
      id: f.id,
      key: f.id,
      name: f.name,
      ...(f.custom ? { untranslatedName: f.name } : {}),
      custom: f.custom,
      orderable: f.orderable,
      navigable: f.navigable,
      searchable: f.searchable,
      clauseNames: f.clauseNames,
      schema: f.schema,
    })),
  };
}
