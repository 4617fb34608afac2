// A named import lets the bundler keep only this field of package.json.
import { version } from '../../package.json';

export const TOOL_NAME = 'frankenlens';
export const TOOL_VERSION: string = version;
