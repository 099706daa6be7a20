/**
 * git's own rules for a path component (read-tree's verify_path with core.protectNTFS and
 * core.protectHFS, which fsck and every hosting service enforce): no empty, `.` or `..`
 * component, no `.git` in any spelling a file system would fold into `.git` — any case, HFS+'s
 * ignored code points inside it (zero-width joiners, direction marks, U+FEFF), NTFS's trailing
 * dots and spaces and alternate streams (`.git.`, `.git ::$INDEX_ALLOCATION`) and its 8.3 short
 * name `git~1` — and no backslash, NUL or control character. Names that come from Jira (link
 * types, project keys) and from a JIRASync's destination.path pass through here.
 */

/** Code points HFS+ ignores when comparing names (git's next_hfs_char). */
const HFS_IGNORED = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/** Whether one path component is acceptable to git on every platform. */
export function isSafeComponent(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\\\u0000-\u001f\u007f]/.test(name)) return false;
  const folded = name.replace(HFS_IGNORED, '').toLowerCase();
  if (folded === '.git') return false;
  // NTFS: ".git" followed only by dots/spaces, or by an alternate data stream.
  if (/^\.git[. ]*(:.*)?$/.test(folded)) return false;
  if (/^git~\d+[. ]*$/.test(folded)) return false;
  // A name of dots and spaces only is "." or ".." to Windows.
  if (/^[. ]+$/.test(name)) return false;
  return true;
}

/** Whether every component of a '/'-separated path is acceptable. */
export function isSafePath(path: string): boolean {
  return path.split('/').every(isSafeComponent);
}
