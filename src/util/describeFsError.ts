/** Why a file system call failed, in words, with its code: `read-only file system (EROFS)`. */
export function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code
  const words: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'the disk quota is exceeded',
    EROFS: 'read-only file system',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'a directory on the way is missing or cannot be created',
    ENOTDIR: 'a file is where a directory is expected',
    EISDIR: 'a directory is where a file is expected',
    EIO: 'input/output error',
  }
  if (typeof code === 'string') return `${words[code] ?? 'the system refused the write'} (${code})`
  return 'the system refused the write'
}
