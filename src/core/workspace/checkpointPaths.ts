/**
 * Finds checkpoint folders mentioned in training code and configs (`.py`, `.yaml`, `.json`, `.sh`,
 * `.toml`): path-like tokens, quoted or bare, that resolve to a folder holding a Hugging Face
 * checkpoint. The text scan is pure; `isCheckpointFolder` (and its async twin for the extension host)
 * looks at the disk.
 */
import { readdirSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { INDEX_FILE } from '../checkpoint/checkpoint';

export interface PathMention {
  /** Offsets of the path text in the document (quotes excluded). */
  start: number;
  end: number;
  text: string;
}

/**
 * A path token: starts with `/`, `~/`, `./` or `../`, or contains a `/` between name characters,
 * and is delimited by quotes, whitespace, `=`, `:`, `,`, brackets or the line ends. The look-behind
 * refuses tokens glued to `/`, `.`, `~`, `:` or a word, which is what skips the parts of URLs.
 */
const PATH_TOKEN = /(?<![\w./~:-])((?:~\/|\.{1,2}\/|\/)?[\w.@+-]+(?:\/[\w.@+-]+)+\/?)(?![\w/])/g;

export function findPathMentions(text: string): PathMention[] {
  const mentions: PathMention[] = [];
  for (const match of text.matchAll(PATH_TOKEN)) {
    const token = match[1]!;
    const start = match.index! + match[0].length - token.length;
    mentions.push({ start, end: start + token.length, text: token });
  }
  return mentions;
}

/** Resolves a mention against the document's folder and the workspace folders, in that order. */
export function resolveMention(mention: string, baseFolders: readonly string[]): string[] {
  const trimmed = mention.replace(/\/$/, '');
  if (trimmed.startsWith('~/')) return [join(homedir(), trimmed.slice(2))];
  if (isAbsolute(trimmed)) return [trimmed];
  return baseFolders.map((folder) => resolve(folder, trimmed));
}

/** A folder with config.json and safetensors weights (single file or sharded index). */
export function isCheckpointFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory() && holdsCheckpoint(readdirSync(path));
  } catch {
    return false;
  }
}

/** The same without blocking the thread: for the extension host. */
export async function isCheckpointFolderAsync(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory() && holdsCheckpoint(await readdir(path));
  } catch {
    return false;
  }
}

function holdsCheckpoint(names: string[]): boolean {
  return names.includes('config.json') && (names.includes(INDEX_FILE) || names.some((name) => name.endsWith('.safetensors')));
}
