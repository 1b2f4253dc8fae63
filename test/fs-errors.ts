import t from 'tap'
import { EnvironmentError } from '../src/errors.js'
import { errnoCode, fileSystemError } from '../src/fs-errors.js'

const errno = (code: string) => Object.assign(new Error(`${code}: something, open '/x'`), { code })

t.test('errno codes in words, with a hint, as exit 3', async (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['EACCES', 'permission denied (EACCES)', /a folder you can write to/],
    ['EPERM', 'operation not permitted (EPERM)', /protected/],
    ['EROFS', 'read-only file system (EROFS)', /writable file system/],
    ['ENOSPC', 'no space left on device (ENOSPC)', /free some space/],
    ['EDQUOT', 'disk quota exceeded (EDQUOT)', /free some space/],
    ['ENOTDIR', 'a part of the path is a file, not a folder (ENOTDIR)', /move the file aside/],
    ['EISDIR', 'a folder is where a file should be (EISDIR)', /move the folder aside/],
    ['EEXIST', 'a file of that name already exists (EEXIST)', /move it aside/],
    ['ENOTEMPTY', 'the folder is not empty (ENOTEMPTY)', /another program is writing there/],
    ['ENOENT', 'no such file or folder (ENOENT)', /removed it meanwhile/],
    ['EBUSY', 'resource busy (a mount point?) (EBUSY)', /below the mount point/],
    ['EXDEV', 'not on the same file system (EXDEV)', /not a mount point/],
    ['ENAMETOOLONG', 'name too long (ENAMETOOLONG)', /shorter path/],
    ['ELOOP', 'too many levels of symbolic links (ELOOP)', /symbolic links on the path/],
    ['EMFILE', 'too many open files (EMFILE)', /ulimit -n/],
    ['EIO', 'input/output error (EIO)', /check the disk/],
  ]
  for (const [code, reason, hint] of cases) {
    const error = fileSystemError('write', '/srv/out/a.yml', errno(code))
    t.ok(error instanceof EnvironmentError, code)
    t.equal(error.exitCode, 3)
    t.equal(error.message, `cannot write /srv/out/a.yml: ${reason}`)
    t.match(error.hint, hint)
    t.equal((error.cause as Error).message, `${code}: something, open '/x'`, 'the original kept for --debug')
  }
  t.equal(fileSystemError('write', '/x', errno('EWEIRD')).message, 'cannot write /x: EWEIRD')
  t.equal(fileSystemError('write', '/x', errno('EWEIRD')).hint, 'check the path and the file system, then retry')
  t.equal(fileSystemError('write', '/x', errno('toString')).message, 'cannot write /x: toString', 'only own table entries')
  t.equal(fileSystemError('write', '/x', new Error('odd')).message, 'cannot write /x: odd')
  t.equal(fileSystemError('write', '/x', 'odd').hint, 'check the path and the file system, then retry')
  t.equal(errnoCode(errno('ENOENT')), 'ENOENT')
  t.equal(errnoCode(new Error('x')), undefined)
  t.equal(errnoCode(undefined), undefined)
})
