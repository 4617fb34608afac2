/** Ids that package.json's `contributes` also names; kept here so activation needs no heavy import. */
export const COMPARE_CHECKPOINTS_COMMAND = 'frankenlens.compareCheckpoints';
export const DIFF_PANEL_VIEW_TYPE = 'frankenlens.diffPanel';
export const OUTPUT_CHANNEL_NAME = 'Frankenlens';
