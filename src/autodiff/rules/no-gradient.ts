import { registerOp } from '../registry.js';

/**
 * Ops whose outputs carry no gradient: shape arithmetic, comparisons, index outputs, random numbers. The builder never
 * walks through them, so e.g. a Reshape whose target comes from Shape(x) is differentiated only w.r.t. its data.
 */
registerOp('Shape', { kind: 'no-gradient', doubleKernel: true, elemType: 'int64' });
registerOp('Size', { kind: 'no-gradient', doubleKernel: true, elemType: 'int64' });
registerOp('Constant', { kind: 'no-gradient', doubleKernel: true });
registerOp('ConstantOfShape', { kind: 'no-gradient', doubleKernel: true });
registerOp('Range', { kind: 'no-gradient', doubleKernel: true });
registerOp('ArgMax', { kind: 'no-gradient', doubleKernel: true, elemType: 'int64' });
registerOp('ArgMin', { kind: 'no-gradient', doubleKernel: true, elemType: 'int64' });
registerOp('NonZero', { kind: 'no-gradient', doubleKernel: false, elemType: 'int64' });
registerOp('OneHot', { kind: 'no-gradient', doubleKernel: false });
registerOp('EyeLike', { kind: 'no-gradient', doubleKernel: false });
registerOp('Equal', { kind: 'no-gradient', doubleKernel: true, shape: 'broadcast', elemType: 'bool' });
registerOp('Greater', { kind: 'no-gradient', doubleKernel: true, shape: 'broadcast', elemType: 'bool' });
registerOp('Less', { kind: 'no-gradient', doubleKernel: true, shape: 'broadcast', elemType: 'bool' });
registerOp('GreaterOrEqual', { kind: 'no-gradient', doubleKernel: true, shape: 'broadcast', elemType: 'bool' });
registerOp('LessOrEqual', { kind: 'no-gradient', doubleKernel: true, shape: 'broadcast', elemType: 'bool' });
registerOp('And', { kind: 'no-gradient', doubleKernel: true, shape: 'broadcast', elemType: 'bool' });
registerOp('Or', { kind: 'no-gradient', doubleKernel: true, shape: 'broadcast', elemType: 'bool' });
registerOp('Xor', { kind: 'no-gradient', doubleKernel: true, elemType: 'bool' });
registerOp('Not', { kind: 'no-gradient', doubleKernel: true, shape: 'elementwise', elemType: 'bool' });
registerOp('IsNaN', { kind: 'no-gradient', doubleKernel: false, shape: 'elementwise', elemType: 'bool' });
registerOp('IsInf', { kind: 'no-gradient', doubleKernel: false, elemType: 'bool' });
registerOp('Sign', { kind: 'no-gradient', doubleKernel: true, shape: 'elementwise' });
registerOp('Floor', { kind: 'no-gradient', doubleKernel: true, shape: 'elementwise' });
registerOp('Ceil', { kind: 'no-gradient', doubleKernel: true, shape: 'elementwise' });
registerOp('Round', { kind: 'no-gradient', doubleKernel: false, shape: 'elementwise' });
registerOp('RandomNormal', { kind: 'no-gradient', doubleKernel: false });
registerOp('RandomUniform', { kind: 'no-gradient', doubleKernel: false });
registerOp('RandomNormalLike', { kind: 'no-gradient', doubleKernel: false });
registerOp('RandomUniformLike', { kind: 'no-gradient', doubleKernel: false });
