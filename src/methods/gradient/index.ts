// Importing this module registers every gradient-family method.
import './saliency.js';
import './input-x-gradient.js';
import './integrated-gradients.js';
import './guided-backprop.js';
import './deconvnet.js';
import './noise-tunnel.js';
import './gradient-shap.js';
import './deeplift.js';
import './deeplift-shap.js';
import './lrp.js';
