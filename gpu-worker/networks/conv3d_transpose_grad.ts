/**
 * The gradient tfjs-core lacks for `Conv3DBackpropInputV2`, the kernel behind `tf.conv3dTranspose`
 * (COMPUTE.md 1), so the V-Net's k2 s2 up-convolution can be one transposed convolution instead of
 * a matMul and two full-size transposes (issue #13: fewer passes over memory, and oneDNN runs it).
 * The kernel computes dx = convᵀ(dy, W); its gradients mirror tfjs's own `Conv2DBackpropInput`
 * gradient: with respect to dy a forward convolution of the incoming gradient, with respect to W
 * the filter gradient of a convolution whose input is the incoming gradient and whose output
 * gradient is dy. Registered once, on import, for every backend.
 */
import * as tf from "@tensorflow/tfjs";

function isRegistered(): boolean {
  return tf.getGradient(tf.Conv3DBackpropInputV2) !== undefined;
}

if (!isRegistered()) {
  tf.registerGradient({
    kernelName: tf.Conv3DBackpropInputV2,
    inputsToSave: ["dy", "filter"],
    gradFunc: (ddx, saved, attrs) => {
      const [dy, filter] = saved as [tf.Tensor5D, tf.Tensor5D];
      const { strides, pad } = attrs as unknown as tf.Conv3DBackpropInputV2Attrs;
      const upstream = ddx as tf.Tensor5D;
      return {
        dy: () => tf.conv3d(upstream, filter, strides, pad as "valid" | "same"),
        // tfjs exports no conv3DBackpropFilter op; its kernel is what tf.conv3d's gradient runs.
        filter: () =>
          tf.engine().runKernel(tf.Conv3DBackpropFilterV2, { x: upstream, dy }, {
            strides,
            pad,
            filterShape: filter.shape,
          } as unknown as tf.NamedAttrMap) as tf.Tensor5D,
      };
    },
  });
}
