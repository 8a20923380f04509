// The kernel's checks of open flags and mode (fs/open.c): build_open_how cleans the arguments of
// open, openat and creat (unknown flag bits dropped; O_PATH keeps only the flags it allows; the mode
// kept only when creating); build_open_flags then refuses the combinations no open accepts. openat2
// passes its struct open_how unchanged, so it gets EINVAL where the others were cleaned.
const O_ACCMODE = 0o3;
export const O_CREAT = 0o100;
export const O_WRONLY = 0o1;
export const O_TRUNC = 0o1000;
const O_DIRECTORY = 0o200000;
const O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
const O_TMPFILE_BIT = 0o20000000; // __O_TMPFILE: O_TMPFILE is this | O_DIRECTORY
export const O_LARGEFILE = 0o100000;
/** VALID_OPEN_FLAGS (x86_64). */
const VALID_OPEN_FLAGS =
  0o3 | O_CREAT | 0o200 /* O_EXCL */ | 0o400 /* O_NOCTTY */ | 0o1000 /* O_TRUNC */ | 0o2000 /* O_APPEND */ |
  0o4000 /* O_NONBLOCK */ | 0o10000 /* O_DSYNC */ | 0o20000 /* FASYNC */ | 0o40000 /* O_DIRECT */ | O_LARGEFILE |
  O_DIRECTORY | O_NOFOLLOW | 0o1000000 /* O_NOATIME */ | O_CLOEXEC | 0o4000000 /* __O_SYNC */ | O_PATH | O_TMPFILE_BIT;
const O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
/**
 * The flags of an open the pump may run in C++ (native plans): those the kernel keeps as they are,
 * but O_PATH (ADDFD cannot install an O_PATH file: the kernel opens it) and O_TMPFILE (its checks
 * are the emulator's). O_CREAT with O_DIRECTORY (EINVAL) is left to the emulator too.
 */
export const NATIVE_OPEN_FLAGS = VALID_OPEN_FLAGS & ~(O_PATH | O_TMPFILE_BIT);
const S_IALLUGO = 0o7777;
const EINVAL = 22;

export interface OpenHow {
  flags: number;
  mode: number;
}

const willCreate = (flags: number) => (flags & (O_CREAT | O_TMPFILE_BIT)) !== 0;

/** build_open_how, for open/openat/creat (whose flags are an int, forced O_LARGEFILE on 64-bit). */
export function legacyOpenHow(flags: number, mode: number): OpenHow {
  let f = ((flags | O_LARGEFILE) & VALID_OPEN_FLAGS) >>> 0;
  if (f & O_PATH) f &= O_PATH_FLAGS;
  return { flags: f, mode: willCreate(f) ? mode & S_IALLUGO : 0 };
}

/** build_open_flags' refusals: 0, or the errno every open gives for this how. */
export function openHowErrno(how: { flags: number | bigint; mode: number | bigint }): number {
  const flags = BigInt(how.flags) & ~BigInt(O_CLOEXEC);
  const mode = BigInt(how.mode);
  if (flags & ~BigInt(VALID_OPEN_FLAGS)) return EINVAL;
  const f = Number(flags);
  if (willCreate(f) ? mode & ~BigInt(S_IALLUGO) : mode !== 0n) return EINVAL;
  if ((f & (O_DIRECTORY | O_CREAT)) === (O_DIRECTORY | O_CREAT)) return EINVAL;
  if (f & O_TMPFILE_BIT) {
    if (!(f & O_DIRECTORY)) return EINVAL;
    // ACC_MODE: O_RDONLY reads only; O_WRONLY, O_RDWR and 3 may write.
    if ((f & O_ACCMODE) === 0) return EINVAL;
  }
  if (f & O_PATH && f & ~O_PATH_FLAGS) return EINVAL;
  return 0;
}
