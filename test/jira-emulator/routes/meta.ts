/** /myself, /user, /serverInfo and /field. */
import type { Core } from '../core.ts';
import type { ApiRequest, Reply } from '../http.ts';
import { formatJiraDateTime } from '../render/dates.ts';
import { fieldCatalog } from '../render/fields.ts';
import { avatarUrls, renderUser } from '../render/objects.ts';
import { HttpError } from '../http.ts';

/** GET /user: by accountId (Cloud), or by username or key (Data Center). */
export function user(core: Core, req: ApiRequest): Reply {
  const cloud = core.store.mode === 'cloud';
  const [param, value] = cloud ? ['accountId', req.query.get('accountId')] : req.query.has('key') ? ['key', req.query.get('key')] : ['username', req.query.get('username')];
  if (!value) throw new HttpError(400, [`The '${param}' query parameter needs to be provided`]);
  const u = core.store.users.find((x) => (cloud ? x.accountId === value : param === 'key' ? x.userKey === value : x.name === value));
  if (!u) throw new HttpError(404, [cloud ? `Specified user does not exist or you do not have required permissions` : `The user named '${value}' does not exist`]);
  return { status: 200, body: renderUser({ store: core.store, baseUrl: core.baseUrl, api: req.api, timeZone: req.user.timeZone }, u) };
}

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
