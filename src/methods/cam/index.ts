/** The CAM family: importing this module registers every method. */
export { gradcam } from './gradcam.js';
export { hirescam } from './hirescam.js';
export { gradcamPlusPlus } from './gradcam-plusplus.js';
export { xgradcam } from './xgradcam.js';
export { layercam } from './layercam.js';
export { gradcamElementwise } from './gradcam-elementwise.js';
export { eigencam } from './eigencam.js';
export { eigengradcam } from './eigengradcam.js';
export { scorecam } from './scorecam.js';
export { ablationcam } from './ablationcam.js';
export { cam } from './cam.js';
export { fullgrad, biasLayers } from './fullgrad.js';
export { guidedGradcam } from './guided-gradcam.js';
export { layerGradcam } from './layer-gradcam.js';
export { defineCam, CAM_OPTIONS, type CamDefinition, type CamLayer, type CamContext, type CamOptions, type CamValues } from './base-cam.js';
export { headGraph } from '../../onnx/subgraph.js';
