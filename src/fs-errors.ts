/**
 * File-system failures while writing (render -o, init): the machine's problem, not the input's (exit 3),
 * said in words with the path and what to do, never as a bare errno or "this is a bug".
 */
import { EnvironmentError } from './errors.js'

const MEANINGS: Record<string, { meaning: string; hint: string }> = {
  EACCES: { meaning: 'permission denied', hint: 'choose a folder you can write to, or fix its permissions' },
  EPERM: { meaning: 'operation not permitted', hint: 'the file or folder is protected (immutable, or owned by another user); choose another folder' },
  EROFS: { meaning: 'read-only file system', hint: 'choose a folder on a writable file system' },
  ENOSPC: { meaning: 'no space left on device', hint: 'free some space, or choose a folder on another file system' },
  EDQUOT: { meaning: 'disk quota exceeded', hint: 'free some space, or choose a folder on another file system' },
  EEXIST: { meaning: 'a file of that name already exists', hint: 'move it aside, or choose another folder' },
  ENOTDIR: { meaning: 'a part of the path is a file, not a folder', hint: 'check the path; move the file aside, or choose another folder' },
  EISDIR: { meaning: 'a folder is where a file should be', hint: 'move the folder aside, or choose another folder' },
  ENOTEMPTY: { meaning: 'the folder is not empty', hint: 'another program is writing there; retry, or choose another folder' },
  ENOENT: { meaning: 'no such file or folder', hint: 'another program removed it meanwhile; retry' },
  EBUSY: { meaning: 'resource busy (a mount point?)', hint: 'choose a folder below the mount point' },
  EXDEV: { meaning: 'not on the same file system', hint: 'choose a folder that is not a mount point' },
  ENAMETOOLONG: { meaning: 'name too long', hint: 'choose a shorter path' },
  ELOOP: { meaning: 'too many levels of symbolic links', hint: 'check the symbolic links on the path' },
  EMFILE: { meaning: 'too many open files', hint: 'raise the open-file limit (ulimit -n) and retry' },
  EIO: { meaning: 'input/output error', hint: 'check the disk' },
}

export function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

/** What a failed file-system call means, in words (`permission denied (EACCES)`), and what to do. */
export function fileSystemFailure(error: unknown): { reason: string; hint: string } {
  const code = errnoCode(error)
  const known = code !== undefined && Object.hasOwn(MEANINGS, code) ? MEANINGS[code] : undefined
  return {
    reason: known ? `${known.meaning} (${code})` : (code ?? (error instanceof Error ? error.message : String(error))),
    hint: known?.hint ?? 'check the path and the file system, then retry',
  }
}

/** `cannot <action> <path>: permission denied (EACCES)` with a hint, exit 3. */
export function fileSystemError(action: string, path: string, error: unknown): EnvironmentError {
  const { reason, hint } = fileSystemFailure(error)
  return new EnvironmentError(`cannot ${action} ${path}: ${reason}`, { hint, cause: error })
}
