/**
 * Reading the text a user's repository holds (cluster.yml, manifests, partials, standard input) under the
 * limits: only regular files, no larger than `file-size`, and UTF-8 text. Anything else is bad input at
 * its file (and, for an encoding error, its line and column), never a crash or silently replaced bytes.
 */
import { open } from 'node:fs/promises'
import { constants } from 'node:fs'
import { EnvironmentError, ManifestError, PharosError, type ErrorDetails } from './errors.js'
import { LimitError, type Budget, type Limits } from './limits.js'

/** The error class to throw for a file's problems: config files and manifests report as their own kind. */
export type InputErrorClass = new (message: string, details?: ErrorDetails) => PharosError

export interface ReadInputOptions {
  limits: Limits
  /** A run-wide budget of bytes (`input-size`) the file counts against. */
  inputBudget?: Budget
  /** The error to throw for bad input in this file (default ManifestError; cluster.yml uses ConfigError). */
  errorClass?: InputErrorClass
}

/**
 * The text of a regular file. A FIFO, device or socket is refused before it is opened for reading (a FIFO
 * would block forever); a link that dangles or loops is reported as such.
 */
export async function readInputFile(path: string, options: ReadInputOptions): Promise<string> {
  const ErrorClass = options.errorClass ?? ManifestError
  let handle
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (cause) {
    throw openFailure(path, cause as NodeJS.ErrnoException, ErrorClass)
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) {
      throw new ErrorClass(`${path} is ${describeFileType(info)}, not a regular file`, {
        file: path,
        hint: 'manifests must be regular files; remove it or give it a name that is not read as a manifest',
      })
    }
    checkSize(path, info.size, options)
    const bytes = await handle.readFile()
    // The file may have grown between stat and read.
    if (bytes.length > info.size) checkSize(path, bytes.length, { limits: options.limits })
    return decodeInputText(bytes, path, ErrorClass)
  } finally {
    await handle.close()
  }
}

function checkSize(path: string, size: number, options: ReadInputOptions): void {
  const { limits } = options
  if (size > limits['file-size']) {
    throw new LimitError('file-size', `the file is ${size} bytes`, { file: path, limits })
  }
  options.inputBudget?.use(size, () => 'the manifest files are too large together', { file: path })
}

function describeFileType(info: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (info.isDirectory()) return 'a folder'
  if (info.isFIFO()) return 'a FIFO (named pipe)'
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device'
  return 'not a regular file'
}

function openFailure(path: string, cause: NodeJS.ErrnoException, ErrorClass: InputErrorClass): PharosError {
  switch (cause.code) {
    case 'ENOENT':
      return new ErrorClass(`${path} does not exist (a link pointing nowhere?)`, {
        file: path,
        cause,
        hint: 'fix or remove the link; manifests must be regular files inside the folder',
      })
    case 'ELOOP':
      return new ErrorClass(`${path} is a symbolic link loop`, { file: path, cause, hint: 'remove the link' })
    case 'ENXIO':
      return new ErrorClass(`${path} is a socket or a device, not a regular file`, { file: path, cause, hint: 'remove it' })
    default:
      return new EnvironmentError(`cannot read ${path}: ${cause.message}`, {
        file: path,
        cause,
        hint: 'check the file\'s permissions',
      })
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * UTF-8 text with its byte-order mark dropped and line ends made LF, so that output does not depend on the
 * editor that saved it. UTF-16 and invalid UTF-8 are refused at the first bad byte: replacing it would
 * render something the author never wrote.
 */
export function decodeInputText(bytes: Uint8Array, file: string, ErrorClass: InputErrorClass = ManifestError): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ErrorClass(`${file} is UTF-16 text`, {
      file,
      line: 1,
      col: 1,
      hint: 'save the file as UTF-8 (YAML tools, kubectl and Pharos read UTF-8)',
    })
  }
  let text: string
  try {
    text = UTF8.decode(bytes)
  } catch {
    const at = firstInvalidUtf8(bytes)
    const before = Buffer.from(bytes.subarray(0, at)).toString('utf8')
    const line = before.split('\n').length
    const col = before.length - before.lastIndexOf('\n')
    throw new ErrorClass(`invalid UTF-8: byte 0x${(bytes[at] ?? 0).toString(16)} at offset ${at}`, {
      file,
      line,
      col,
      hint: 'save the file as UTF-8; a binary file or another encoding (Latin-1, UTF-16) does not belong in a manifest folder',
    })
  }
  return normalizeText(text)
}

/** No byte-order mark, LF line ends (a lone CR too, as old Mac editors wrote). */
export function normalizeText(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i] as number
    const length = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0
    if (length === 0 || i + length > bytes.length) return i
    try {
      UTF8.decode(bytes.subarray(i, i + length))
    } catch {
      return i
    }
    i += length
  }
  return i
}

/** Standard input, under the same rules as a file: `file-size` and UTF-8. */
export async function readInputStream(stream: AsyncIterable<string | Buffer>, name: string, limits: Limits): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += buffer.length
    if (size > limits['file-size']) throw new LimitError('file-size', `more than ${size} bytes`, { file: name, limits })
    chunks.push(buffer)
  }
  return decodeInputText(Buffer.concat(chunks), name)
}
