/** Ids that package.json's `contributes` also names; kept here so activation needs no heavy import. */
export const COMPARE_CHECKPOINTS_COMMAND = 'frankenlens.compareCheckpoints';
export const MERGE_LAYER_RANGE_COMMAND = 'frankenlens.mergeLayerRange';
export const FREEZE_LAYER_RANGE_COMMAND = 'frankenlens.freezeLayerRange';
export const WRITE_THIRDS_VARIANTS_COMMAND = 'frankenlens.writeThirdsVariants';
export const DIFF_PANEL_VIEW_TYPE = 'frankenlens.diffPanel';
export const OUTPUT_CHANNEL_NAME = 'Frankenlens';
