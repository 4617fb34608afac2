/** Ids that package.json's `contributes` also names; kept here so activation needs no heavy import. */
export const COMPARE_CHECKPOINTS_COMMAND = 'frankenlens.compareCheckpoints';
export const MERGE_LAYER_RANGE_COMMAND = 'frankenlens.mergeLayerRange';
export const FREEZE_LAYER_RANGE_COMMAND = 'frankenlens.freezeLayerRange';
export const WRITE_THIRDS_VARIANTS_COMMAND = 'frankenlens.writeThirdsVariants';
export const SPECTRAL_ANALYSIS_COMMAND = 'frankenlens.spectralAnalysis';
export const DIFF_PANEL_VIEW_TYPE = 'frankenlens.diffPanel';
export const OUTPUT_CHANNEL_NAME = 'Frankenlens';
export const SET_AS_IN_COMMAND = 'frankenlens.setAsIn';
export const SET_AS_RL_COMMAND = 'frankenlens.setAsRl';
export const SET_AS_BASE_COMMAND = 'frankenlens.setAsBase';
export const COMPARE_WITH_IN_COMMAND = 'frankenlens.compareWithIn';
export const COMPARE_IN_AND_RL_COMMAND = 'frankenlens.compareInAndRl';
export const OPEN_DIFF_RESULT_COMMAND = 'frankenlens.openDiffResult';
export const REFRESH_CHECKPOINTS_COMMAND = 'frankenlens.refreshCheckpoints';
export const REFRESH_ANALYSES_COMMAND = 'frankenlens.refreshAnalyses';
export const CHECKPOINTS_VIEW = 'frankenlens.checkpoints';
export const ANALYSES_VIEW = 'frankenlens.analyses';
