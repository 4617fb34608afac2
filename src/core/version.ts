import packageJson from '../../package.json';

export const TOOL_NAME = 'frankenlens';
export const TOOL_VERSION: string = packageJson.version;
