/** Model responses to score: JSONL, one {"id": ..., "response": ...} per line (other fields ignored). */
import { previewValue, quoted } from '../regularFile';
import { lineError, readJsonLines } from './jsonLines';

export interface ModelResponse {
  id: string;
  response: string;
}

export function readModelResponses(file: string): Map<string, ModelResponse> {
  const responses = new Map<string, ModelResponse & { line: number }>();
  for (const { line, value } of readJsonLines(file, 'InvalidResponses')) {
    const { id, response } = value;
    if (typeof id !== 'string' || !id) throw lineError('InvalidResponses', file, line, `"id" must be a non-empty string, got ${previewValue(id)}`);
    if (typeof response !== 'string') throw lineError('InvalidResponses', file, line, `"response" must be a string, got ${previewValue(response)}`);
    const earlier = responses.get(id);
    if (earlier) throw lineError('InvalidResponses', file, line, `duplicate id ${quoted(id)} (first on line ${earlier.line})`);
    responses.set(id, { id, response, line });
  }
  return new Map([...responses].map(([id, { response }]) => [id, { id, response }]));
}

export function modelResponseLine(response: ModelResponse): string {
  return JSON.stringify({ id: response.id, response: response.response });
}
