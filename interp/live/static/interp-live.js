/*! interp-live.js: a Keras CNN run in the page, layer by layer, with its input gradient.
 * Part of interp, the Python package; BSD-3-Clause licence (interp's LICENSE file).
 * The model data it reads are written by interp.export_live (interp/live/view.py, with the
 * layer graph of interp/live/spec.py), the only Python code that knows their format. No
 * dependencies; nothing is loaded from anywhere.
 *
 * The page's API, window.interpLive (documented on the page "The network, live"):
 *   ready                       a Promise, resolved once the model is decoded and drawn
 *   layers()                    [{name, type, shape}] for every layer, in order
 *   run(pixels)                 {outputs: {name: Float32Array}, before: {name: Float32Array},
 *                               probabilities: Float32Array}; before: the values of each Conv2D
 *                               or Dense layer with an activation, before it (sum + bias)
 *   saliency(pixels)            Float32Array(height * width): d logit(predicted) / d input,
 *                               summed over the channels
 *   setKernel(layer, index, weights), resetKernels()
 *   inspect(layer, row, col, kernel)  {patch, products, sum, bias, before, value} for the
 *                               last run: before = sum + bias, value = the layer's output
 */
(function () {
  "use strict";

  // ---- decoding --------------------------------------------------------------------------
  function bytesOf(base64) {
    const text = atob(base64);
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }

  function floatsOf(base64) {
    const bytes = bytesOf(base64);
    const view = new DataView(bytes.buffer);
    const out = new Float32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }

  // ---- activations -------------------------------------------------------------------------
  function activate(name, alpha, pre, out, channels) {
    const n = pre.length;
    if (name === "linear") { out.set(pre); return; }
    if (name === "relu") { for (let i = 0; i < n; i++) out[i] = pre[i] > 0 ? pre[i] : 0; return; }
    if (name === "leaky_relu") {
      for (let i = 0; i < n; i++) out[i] = pre[i] > 0 ? pre[i] : alpha * pre[i];
      return;
    }
    if (name === "sigmoid") { for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-pre[i])); return; }
    if (name === "tanh") { for (let i = 0; i < n; i++) out[i] = Math.tanh(pre[i]); return; }
    if (name === "softmax") {
      for (let s = 0; s < n; s += channels) {
        let top = -Infinity;
        for (let c = 0; c < channels; c++) top = Math.max(top, pre[s + c]);
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += Math.exp(pre[s + c] - top);
        for (let c = 0; c < channels; c++) out[s + c] = Math.exp(pre[s + c] - top) / sum;
      }
      return;
    }
    throw new Error("interp-live: unknown activation " + name);
  }

  // gradient through an activation: g (d/d out) -> d/d pre, in place
  function activateBack(name, alpha, pre, out, g, channels) {
    const n = g.length;
    if (name === "linear") return;
    if (name === "relu") { for (let i = 0; i < n; i++) if (!(pre[i] > 0)) g[i] = 0; return; }
    if (name === "leaky_relu") { for (let i = 0; i < n; i++) if (!(pre[i] > 0)) g[i] *= alpha; return; }
    if (name === "sigmoid") { for (let i = 0; i < n; i++) g[i] *= out[i] * (1 - out[i]); return; }
    if (name === "tanh") { for (let i = 0; i < n; i++) g[i] *= 1 - out[i] * out[i]; return; }
    if (name === "softmax") {
      for (let s = 0; s < n; s += channels) {
        let dot = 0;
        for (let c = 0; c < channels; c++) dot += g[s + c] * out[s + c];
        for (let c = 0; c < channels; c++) g[s + c] = out[s + c] * (g[s + c] - dot);
      }
      return;
    }
    throw new Error("interp-live: unknown activation " + name);
  }

  const size = (shape) => shape.reduce((a, b) => a * b, 1);

  // ---- the network ---------------------------------------------------------------------------
  class Net {
    constructor(model, weights) {
      this.model = model;
      this.input = model.input;
      this.layers = model.layers.map((spec) => {
        const layer = Object.assign({}, spec);
        for (const key of ["kernel", "bias", "scale", "shift"]) {
          if (spec[key]) layer[key] = weights.subarray(spec[key][0], spec[key][0] + spec[key][1]);
        }
        if (spec.kernel) layer.trained = layer.kernel.slice();
        return layer;
      });
      this.byName = new Map(this.layers.map((layer) => [layer.name, layer]));
      this.head = model.head;
      this.last = null;
    }

    inputSize() { return size(this.input.shape); }

    // pixels in [0, 1] -> model input (the scale the images were converted with)
    toInput(pixels) {
      const [low, high] = this.input.scale;
      const x = new Float32Array(pixels.length);
      for (let i = 0; i < x.length; i++) x[i] = low + (high - low) * pixels[i];
      return x;
    }

    forward(pixels) {
      const values = new Map();
      const pre = new Map();
      for (const layer of this.layers) {
        if (layer.type === "input") { values.set(layer.name, this.toInput(pixels)); continue; }
        const ins = layer.inputs.map((name) => values.get(name));
        const inShapes = layer.inputs.map((name) => this.byName.get(name).shape);
        const n = size(layer.shape);
        let z = new Float32Array(n);
        switch (layer.type) {
          case "conv2d": conv2d(layer, ins[0], inShapes[0], z); break;
          case "dense": dense(layer, ins[0], z); break;
          case "pool2d": pool2d(layer, ins[0], inShapes[0], z, null); break;
          case "global_pool": globalPool(layer, ins[0], inShapes[0], z); break;
          case "affine": affine(layer, ins[0], z); break;
          case "add": for (const x of ins) for (let i = 0; i < n; i++) z[i] += x[i]; break;
          case "concatenate": concatenate(ins, inShapes, layer.shape, z); break;
          case "identity": z = ins[0]; break;
          default: throw new Error("interp-live: unknown layer type " + layer.type);
        }
        const act = layer.activation || "linear";
        if (act === "linear") { values.set(layer.name, z); continue; }
        const out = new Float32Array(n);
        activate(act, layer.alpha || 0, z, out, layer.shape[layer.shape.length - 1]);
        pre.set(layer.name, z);
        values.set(layer.name, out);
      }
      const logits = this.logitsOf(values, pre);
      return { values, pre, logits, probabilities: this.probabilitiesOf(logits) };
    }

    logitsOf(values, pre) {
      const h = this.head;
      const z = h.pre ? (pre.get(h.layer) || values.get(h.layer)) : values.get(h.layer);
      return Float32Array.from(z);
    }

    probabilitiesOf(logits) {
      const h = this.head;
      const p = new Float32Array(h.classes);
      if (h.activation === "sigmoid" && logits.length === 1) {
        p[1] = 1 / (1 + Math.exp(-logits[0]));
        p[0] = 1 - p[1];
      } else if (h.activation === "sigmoid") {
        for (let i = 0; i < logits.length; i++) p[i] = 1 / (1 + Math.exp(-logits[i]));
      } else {
        activate("softmax", 0, logits, p, logits.length);
      }
      return p;
    }

    // d logit[target] / d input, for the cache of one forward pass
    backward(cache, target) {
      const { values, pre } = cache;
      const grads = new Map();
      const h = this.head;
      const headLayer = this.byName.get(h.layer);
      const start = new Float32Array(size(headLayer.shape));
      if (h.activation === "sigmoid" && start.length === 1) start[0] = target === 1 ? 1 : -1;
      else start[target] = 1;
      let skipActivation = h.pre;
      grads.set(h.layer, start);
      for (let li = this.layers.length - 1; li >= 0; li--) {
        const layer = this.layers[li];
        let g = grads.get(layer.name);
        if (!g || layer.type === "input") continue;
        const act = layer.activation || "linear";
        if (act !== "linear" && !(skipActivation && layer.name === h.layer)) {
          g = Float32Array.from(g);
          activateBack(act, layer.alpha || 0, pre.get(layer.name), values.get(layer.name), g,
                       layer.shape[layer.shape.length - 1]);
        }
        if (layer.name === h.layer) skipActivation = false;
        const inShapes = layer.inputs.map((name) => this.byName.get(name).shape);
        const ins = layer.inputs.map((name) => values.get(name));
        const into = (k) => {
          const name = layer.inputs[k];
          let target = grads.get(name);
          if (!target) { target = new Float32Array(size(inShapes[k])); grads.set(name, target); }
          return target;
        };
        switch (layer.type) {
          case "conv2d": conv2dBack(layer, g, inShapes[0], into(0)); break;
          case "dense": denseBack(layer, g, into(0)); break;
          case "pool2d": pool2dBack(layer, ins[0], inShapes[0], g, into(0)); break;
          case "global_pool": globalPoolBack(layer, ins[0], inShapes[0], g, into(0)); break;
          case "affine": affineBack(layer, g, into(0)); break;
          case "add": layer.inputs.forEach((_, k) => { const t = into(k); for (let i = 0; i < g.length; i++) t[i] += g[i]; }); break;
          case "concatenate": concatenateBack(g, inShapes, layer.shape, layer.inputs.map((_, k) => into(k))); break;
          case "identity": { const t = into(0); for (let i = 0; i < g.length; i++) t[i] += g[i]; break; }
          default: throw new Error("interp-live: unknown layer type " + layer.type);
        }
      }
      const first = this.layers[0];
      const gx = grads.get(first.name) || new Float32Array(this.inputSize());
      return gx;
    }
  }

  // channels-last tensors; conv kernels (kh, kw, cin, cout)
  function conv2d(layer, x, inShape, out) {
    const [H, W, C] = inShape;
    const [OH, OW, CO] = layer.shape;
    const [KH, KW] = layer.kernel_size;
    const [SH, SW] = layer.strides;
    const [DH, DW] = layer.dilation;
    const [PT, PL] = layer.pad;
    const k = layer.kernel;
    const acc = new Float64Array(CO);
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        if (layer.bias) for (let co = 0; co < CO; co++) acc[co] = layer.bias[co];
        else acc.fill(0);
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * SH + ky * DH - PT;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * SW + kx * DW - PL;
            if (ix < 0 || ix >= W) continue;
            const xBase = (iy * W + ix) * C;
            const kBase = (ky * KW + kx) * C * CO;
            for (let ci = 0; ci < C; ci++) {
              const v = x[xBase + ci];
              if (v === 0) continue;
              const kRow = kBase + ci * CO;
              for (let co = 0; co < CO; co++) acc[co] += v * k[kRow + co];
            }
          }
        }
        const oBase = (oy * OW + ox) * CO;
        for (let co = 0; co < CO; co++) out[oBase + co] = acc[co];
      }
    }
  }

  function conv2dBack(layer, g, inShape, gx) {
    const [H, W, C] = inShape;
    const [OH, OW, CO] = layer.shape;
    const [KH, KW] = layer.kernel_size;
    const [SH, SW] = layer.strides;
    const [DH, DW] = layer.dilation;
    const [PT, PL] = layer.pad;
    const k = layer.kernel;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const gBase = (oy * OW + ox) * CO;
        let any = false;
        for (let co = 0; co < CO; co++) if (g[gBase + co] !== 0) { any = true; break; }
        if (!any) continue;
        for (let ky = 0; ky < KH; ky++) {
          const iy = oy * SH + ky * DH - PT;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < KW; kx++) {
            const ix = ox * SW + kx * DW - PL;
            if (ix < 0 || ix >= W) continue;
            const xBase = (iy * W + ix) * C;
            const kBase = (ky * KW + kx) * C * CO;
            for (let ci = 0; ci < C; ci++) {
              const kRow = kBase + ci * CO;
              let s = 0;
              for (let co = 0; co < CO; co++) s += g[gBase + co] * k[kRow + co];
              gx[xBase + ci] += s;
            }
          }
        }
      }
    }
  }

  function dense(layer, x, out) {
    const units = layer.shape[0];
    const n = x.length;
    const k = layer.kernel;
    const acc = new Float64Array(units);
    if (layer.bias) for (let j = 0; j < units; j++) acc[j] = layer.bias[j];
    for (let i = 0; i < n; i++) {
      const v = x[i];
      if (v === 0) continue;
      const row = i * units;
      for (let j = 0; j < units; j++) acc[j] += v * k[row + j];
    }
    for (let j = 0; j < units; j++) out[j] = acc[j];
  }

  function denseBack(layer, g, gx) {
    const units = layer.shape[0];
    const k = layer.kernel;
    for (let i = 0; i < gx.length; i++) {
      const row = i * units;
      let s = 0;
      for (let j = 0; j < units; j++) s += g[j] * k[row + j];
      gx[i] += s;
    }
  }

  function pool2d(layer, x, inShape, out, argmax) {
    const [H, W, C] = inShape;
    const [OH, OW] = layer.shape;
    const [PH, PW] = layer.pool;
    const [SH, SW] = layer.strides;
    const [PT, PL] = layer.pad;
    const isMax = layer.mode === "max";
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        for (let c = 0; c < C; c++) {
          let best = -Infinity, where = -1, sum = 0, count = 0;
          for (let py = 0; py < PH; py++) {
            const iy = oy * SH + py - PT;
            if (iy < 0 || iy >= H) continue;
            for (let px = 0; px < PW; px++) {
              const ix = ox * SW + px - PL;
              if (ix < 0 || ix >= W) continue;
              const i = (iy * W + ix) * C + c;
              if (x[i] > best) { best = x[i]; where = i; }
              sum += x[i];
              count++;
            }
          }
          const o = (oy * OW + ox) * C + c;
          out[o] = isMax ? best : sum / count;
          if (argmax) argmax[o] = isMax ? where : count;
        }
      }
    }
  }

  function pool2dBack(layer, x, inShape, g, gx) {
    const [H, W, C] = inShape;
    const [OH, OW] = layer.shape;
    const [PH, PW] = layer.pool;
    const [SH, SW] = layer.strides;
    const [PT, PL] = layer.pad;
    const where = new Int32Array(g.length);
    pool2d(layer, x, inShape, new Float32Array(g.length), where);
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        for (let c = 0; c < C; c++) {
          const o = (oy * OW + ox) * C + c;
          if (layer.mode === "max") { gx[where[o]] += g[o]; continue; }
          const share = g[o] / where[o];
          for (let py = 0; py < PH; py++) {
            const iy = oy * SH + py - PT;
            if (iy < 0 || iy >= H) continue;
            for (let px = 0; px < PW; px++) {
              const ix = ox * SW + px - PL;
              if (ix >= 0 && ix < W) gx[(iy * W + ix) * C + c] += share;
            }
          }
        }
      }
    }
  }

  function globalPool(layer, x, inShape, out) {
    const C = inShape[inShape.length - 1];
    const n = x.length / C;
    for (let c = 0; c < C; c++) {
      let best = -Infinity, sum = 0;
      for (let i = 0; i < n; i++) { const v = x[i * C + c]; sum += v; if (v > best) best = v; }
      out[c] = layer.mode === "max" ? best : sum / n;
    }
  }

  function globalPoolBack(layer, x, inShape, g, gx) {
    const C = inShape[inShape.length - 1];
    const n = x.length / C;
    for (let c = 0; c < C; c++) {
      if (layer.mode === "max") {
        let best = -Infinity, where = 0;
        for (let i = 0; i < n; i++) if (x[i * C + c] > best) { best = x[i * C + c]; where = i; }
        gx[where * C + c] += g[c];
      } else {
        for (let i = 0; i < n; i++) gx[i * C + c] += g[c] / n;
      }
    }
  }

  function affine(layer, x, out) {
    const C = layer.scale.length;
    for (let i = 0; i < x.length; i++) out[i] = x[i] * layer.scale[i % C] + layer.shift[i % C];
  }

  function affineBack(layer, g, gx) {
    const C = layer.scale.length;
    for (let i = 0; i < g.length; i++) gx[i] += g[i] * layer.scale[i % C];
  }

  function concatenate(ins, inShapes, shape, out) {
    const C = shape[shape.length - 1];
    const n = size(shape) / C;
    let offset = 0;
    ins.forEach((x, k) => {
      const c = inShapes[k][inShapes[k].length - 1];
      for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) out[i * C + offset + j] = x[i * c + j];
      offset += c;
    });
  }

  function concatenateBack(g, inShapes, shape, targets) {
    const C = shape[shape.length - 1];
    const n = size(shape) / C;
    let offset = 0;
    targets.forEach((t, k) => {
      const c = inShapes[k][inShapes[k].length - 1];
      for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) t[i * c + j] += g[i * C + offset + j];
      offset += c;
    });
  }

  // ---- images from files: Pillow's convert("L" or "RGB") and resize(BILINEAR) -------------
  // interp.load_images decodes with Pillow; these are its integer formulas, so a PNG gives
  // the same pixels here as in Python.
  const PRECISION = 22; // Pillow's PRECISION_BITS for 8-bit images (32 - 8 - 2)

  function coefficients(inSize, outSize) {
    const scale = inSize / outSize;
    const filterscale = Math.max(scale, 1);
    const support = 1.0 * filterscale;
    const ksize = Math.ceil(support) * 2 + 1;
    const bounds = new Int32Array(outSize * 2);
    const kk = new Float64Array(outSize * ksize);
    for (let xx = 0; xx < outSize; xx++) {
      const center = (xx + 0.5) * scale;
      let ww = 0;
      const ss = 1 / filterscale;
      let xmin = Math.trunc(center - support + 0.5);
      if (xmin < 0) xmin = 0;
      let xmax = Math.trunc(center + support + 0.5);
      if (xmax > inSize) xmax = inSize;
      xmax -= xmin;
      for (let x = 0; x < xmax; x++) {
        const t = Math.abs((x + xmin - center + 0.5) * ss);
        const w = t < 1 ? 1 - t : 0;
        kk[xx * ksize + x] = w;
        ww += w;
      }
      for (let x = 0; x < xmax; x++) if (ww !== 0) kk[xx * ksize + x] /= ww;
      bounds[2 * xx] = xmin;
      bounds[2 * xx + 1] = xmax;
    }
    const fixed = new Float64Array(kk.length);
    for (let i = 0; i < kk.length; i++) {
      fixed[i] = kk[i] < 0 ? Math.trunc(-0.5 + kk[i] * (1 << PRECISION))
        : Math.trunc(0.5 + kk[i] * (1 << PRECISION));
    }
    return { ksize, bounds, kk: fixed };
  }

  function clip8(v) {
    if (v >= 2 ** (PRECISION + 8)) return 255;
    if (v <= 0) return 0;
    return Math.floor(v / 2 ** PRECISION);
  }

  // planes: one Uint8Array per channel, inW x inH -> outW x outH
  function resizeBilinear(plane, inW, inH, outW, outH) {
    if (inW === outW && inH === outH) return plane;
    const horiz = coefficients(inW, outW);
    const vert = coefficients(inH, outH);
    let src = plane, srcW = inW;
    let yFirst = 0;
    const bv = Int32Array.from(vert.bounds);
    if (outW !== inW) {
      yFirst = bv[0];
      const yLast = bv[outH * 2 - 2] + bv[outH * 2 - 1];
      for (let i = 0; i < outH; i++) bv[2 * i] -= yFirst;
      const rows = yLast - yFirst;
      const tmp = new Uint8Array(outW * rows);
      for (let yy = 0; yy < rows; yy++) {
        for (let xx = 0; xx < outW; xx++) {
          const xmin = horiz.bounds[2 * xx], xmax = horiz.bounds[2 * xx + 1];
          let ss = 2 ** (PRECISION - 1);
          for (let x = 0; x < xmax; x++) ss += plane[(yy + yFirst) * inW + x + xmin] * horiz.kk[xx * horiz.ksize + x];
          tmp[yy * outW + xx] = clip8(ss);
        }
      }
      src = tmp; srcW = outW;
    }
    if (outH === inH) return src;
    const out = new Uint8Array(outW * outH);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = bv[2 * yy], ymax = bv[2 * yy + 1];
      for (let xx = 0; xx < outW; xx++) {
        let ss = 2 ** (PRECISION - 1);
        for (let y = 0; y < ymax; y++) ss += src[(y + ymin) * srcW + xx] * vert.kk[yy * vert.ksize + y];
        out[yy * outW + xx] = clip8(ss);
      }
    }
    return out;
  }

  // RGBA bytes (w x h) -> pixels in [0, 1], (outH, outW, channels) row-major
  function convertImage(rgba, w, h, outW, outH, channels) {
    const planes = [];
    if (channels === 1) {
      const gray = new Uint8Array(w * h);
      for (let i = 0; i < w * h; i++) {
        gray[i] = (rgba[4 * i] * 19595 + rgba[4 * i + 1] * 38470 + rgba[4 * i + 2] * 7471 + 0x8000) >> 16;
      }
      planes.push(gray);
    } else {
      for (let c = 0; c < 3; c++) {
        const plane = new Uint8Array(w * h);
        for (let i = 0; i < w * h; i++) plane[i] = rgba[4 * i + c];
        planes.push(plane);
      }
    }
    const resized = planes.map((p) => resizeBilinear(p, w, h, outW, outH));
    const out = new Float32Array(outW * outH * channels);
    for (let i = 0; i < outW * outH; i++) {
      for (let c = 0; c < channels; c++) out[i * channels + c] = resized[c][i] / 255;
    }
    return out;
  }

  // ---- colours ----------------------------------------------------------------------------------
  // value -> entry of the diverging table (matplotlib's RdBu_r, written by interp.export_live):
  // index = round((v / m + 1) / 2 * 255), clipped to 0..255, m the scale of the layer.
  function colourIndex(v, m) {
    const t = Math.round((v / m + 1) / 2 * 255);
    return t < 0 ? 0 : t > 255 ? 255 : t;
  }

  function largest(values) {
    let m = 0;
    for (let i = 0; i < values.length; i++) { const a = Math.abs(values[i]); if (a > m) m = a; }
    return m > 0 ? m : 1;
  }

  // a Conv2D or Dense layer that applies an activation of its own (its values before it are
  // run().before[name], and its maps can be drawn before or after it)
  function ownActivation(layer) {
    return (layer.type === "conv2d" || layer.type === "dense") && (layer.activation || "linear") !== "linear";
  }

  function activationName(layer) {
    const act = layer.activation || "linear";
    return act === "relu" ? "the ReLU" : act === "leaky_relu" ? "the leaky ReLU" : act;
  }

  // ---- the view -------------------------------------------------------------------------------------
  const h = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child) node.append(child);
    return node;
  };

  const fmt = (v, digits = 3) => {
    const text = (Math.abs(v) < 0.5 * 10 ** -digits ? 0 : v).toFixed(digits);
    return (v >= 0 || text === (0).toFixed(digits) ? "+" : "") + text.replace("-", "\u2212");
  };

  class View {
    constructor(root, data) {
      this.root = root;
      this.data = data;
      this.net = new Net(data.model, floatsOf(data.weights));
      this.lut = bytesOf(data.colormap);
      const shape = data.model.input.shape;
      [this.H, this.W, this.C] = shape;
      this.classes = data.classes;
      this.picks = data.picks.map((pick) => Object.assign({}, pick, { pixels: bytesOf(pick.pixels) }));
      this.pixels = new Float32Array(this.H * this.W * this.C);
      this.brush = 1.5;
      this.paint = 1;
      this.inspected = null;
      this.watched = null;
      this.timings = [];
      this.shown = data.shown.map((name) => this.net.byName.get(name));
      // which values each layer's maps show: "before" or "after" its activation
      this.modes = new Map(this.shown.filter(ownActivation).map((l) => [l.name, (data.modes || {})[l.name] || "after"]));
      this.scales = new Map();
      this.build();
      this.load(this.picks.length ? this.picks[0].pixels : null);
    }

    // -- building --
    build() {
      const d = this.data;
      const ui = h("div", { class: "il-ui" });
      const id = (name) => "il-" + name;
      this.input = h("canvas", { width: this.W, height: this.H, class: "il-input", id: id("input"),
        role: "img", "aria-label": "The input image; draw on it with a mouse, a pen or a finger" });
      this.patchBox = h("div", { class: "il-patch", hidden: true });
      this.salCanvas = h("canvas", { width: this.W, height: this.H, class: "il-saliency",
        role: "img", "aria-label": "Saliency map of the predicted class" });
      this.salCaption = h("p", { class: "il-caption", id: id("sal-caption") });
      const brush = h("input", { type: "range", min: "0.5", max: "4", step: "0.5", value: String(this.brush),
        id: id("brush"), oninput: (e) => { this.brush = Number(e.target.value); } });
      const paintWhite = h("input", { type: "radio", name: "il-paint", value: "1", id: id("paint-1"), checked: true,
        onchange: () => { this.paint = 1; } });
      const paintBlack = h("input", { type: "radio", name: "il-paint", value: "0", id: id("paint-0"),
        onchange: () => { this.paint = 0; } });
      const file = h("input", { type: "file", accept: "image/png,image/jpeg", id: id("file"), class: "il-file",
        onchange: (e) => { if (e.target.files[0]) this.openFile(e.target.files[0]); } });
      this.status = h("p", { class: "il-status", role: "status", "aria-live": "polite" });
      const inputCard = h("section", { class: "il-card il-input-card", "aria-labelledby": id("input-title") },
        h("h3", { id: id("input-title"), text: "Input" }),
        h("div", { class: "il-stage" }, this.input, this.patchBox),
        h("div", { class: "il-tools" },
          h("label", { for: id("brush") }, "Brush ", brush),
          h("span", { class: "il-radio", role: "radiogroup", "aria-label": "Paint" },
            h("label", { for: id("paint-1") }, paintWhite, " white"),
            h("label", { for: id("paint-0") }, paintBlack, " black")),
          h("button", { type: "button", onclick: () => this.clear() }, "Clear"),
          h("button", { type: "button", onclick: () => this.invert() }, "Invert"),
          h("label", { for: id("file"), class: "il-upload" }, "Open a PNG or JPEG\u2026", file)),
        this.status);
      this.bars = h("div", { class: "il-bars", role: "list", "aria-label": "Class probabilities" });
      this.barRows = this.classes.map((name) => {
        const fill = h("span", { class: "il-fill" });
        const value = h("span", { class: "il-value" });
        const row = h("div", { class: "il-bar", role: "listitem" },
          h("span", { class: "il-label", text: name }), h("span", { class: "il-track" }, fill), value);
        this.bars.append(row);
        return { row, fill, value };
      });
      const predCard = h("section", { class: "il-card", "aria-labelledby": id("pred-title") },
        h("h3", { id: id("pred-title"), text: "Prediction" }), this.bars);
      const salCard = h("section", { class: "il-card", "aria-labelledby": id("sal-title") },
        h("h3", { id: id("sal-title"), text: "Why this class" }), this.salCanvas, this.salCaption);
      ui.append(h("div", { class: "il-row" }, inputCard, salCard, predCard));

      if (this.picks.length) {
        const strip = h("div", { class: "il-picks", role: "group", "aria-label": "Test images to pick" });
        this.picks.forEach((pick, i) => {
          const thumb = h("canvas", { width: this.W, height: this.H, "aria-hidden": "true" });
          this.paintImage(thumb, Float32Array.from(pick.pixels, (v) => v / 255));
          strip.append(h("button", { type: "button", class: "il-pick", title: pick.name,
            "aria-label": "Pick " + pick.name, onclick: () => { this.load(pick.pixels); this.say("Picked " + pick.name); } }, thumb));
        });
        ui.append(h("section", { class: "il-card", "aria-labelledby": id("picks-title") },
          h("h3", { id: id("picks-title"), text: d.picks_title || "Pick an image" }), strip));
      }

      this.mapCanvases = new Map();
      for (const layer of this.shown) {
        const [OH, OW, CO] = layer.shape;
        const grid = h("div", { class: "il-maps", role: "group", "aria-label": layer.name + " maps" });
        const canvases = [];
        const drawn = Math.min(CO, d.max_channels || CO);
        for (let k = 0; k < drawn; k++) {
          const canvas = h("canvas", { width: OW, height: OH, tabindex: "0", role: "img",
            "data-layer": layer.name, "data-channel": String(k),
            "aria-label": `${layer.name} map ${k}, ${OH} by ${OW}; arrow keys move the inspected pixel` });
          const box = h("div", { class: "il-cursor", hidden: true });
          const cell = h("figure", { class: "il-map" }, h("div", { class: "il-stage" }, canvas, box),
            h("figcaption", { text: `${layer.name} \u00b7 ${k}` }));
          canvas.addEventListener("pointermove", (e) => this.pointAt(layer, k, canvas, e));
          canvas.addEventListener("pointerdown", (e) => this.pointAt(layer, k, canvas, e));
          canvas.addEventListener("focus", () => { if (!this.inspected || this.inspected.layer !== layer.name || this.inspected.channel !== k) this.inspect(layer.name, Math.floor(OH / 2), Math.floor(OW / 2), k); });
          canvas.addEventListener("keydown", (e) => this.key(e, layer, k));
          canvases.push({ canvas, box, cell });
          grid.append(cell);
        }
        this.mapCanvases.set(layer.name, canvases);
        const title = `${layer.name}: ${CO} map${CO === 1 ? "" : "s"}` + (drawn < CO ? ` (the first ${drawn} drawn)` : "");
        const card = h("section", { class: "il-card il-layer", "aria-labelledby": id("layer-" + layer.name) },
          h("h3", { id: id("layer-" + layer.name), text: title }));
        if (ownActivation(layer)) card.append(this.modeSwitch(layer));
        card.append(grid, this.scaleBar(layer));
        if (layer === this.shown[0] && layer.type === "conv2d" && this.editable(layer)) card.append(this.editor(layer));
        ui.append(card);
      }
      this.panel = h("div", { class: "il-inspect", "aria-live": "polite" },
        h("p", { class: "il-muted", text: "Hover or tap a pixel of a map (or focus a map and use the arrow keys) to see its arithmetic." }));
      ui.append(h("section", { class: "il-card", "aria-labelledby": id("inspect-title") },
        h("h3", { id: id("inspect-title"), text: "The arithmetic under the pointer" }), this.panel));

      if (d.suggestions && d.suggestions.length) {
        const list = h("ul", { class: "il-suggestions" });
        d.suggestions.forEach((s, i) => list.append(h("li", {},
          h("button", { type: "button", class: "il-suggestion", "data-index": String(i),
            onclick: () => this.suggest(i) }, s.text))));
        ui.append(h("section", { class: "il-card", "aria-labelledby": id("try-title") },
          h("h3", { id: id("try-title"), text: "What to try" }), list));
      }
      this.root.append(ui);
      this.bindDrawing();
      this.bindDrop(inputCard);
    }

    // "before the ReLU" / "after the ReLU" for one layer's maps
    modeSwitch(layer) {
      const act = activationName(layer);
      const name = "il-mode-" + layer.name;
      const choice = (mode, words) => {
        const radio = h("input", { type: "radio", name, value: mode, id: `${name}-${mode}`, class: "il-mode-radio",
          "data-layer": layer.name, checked: this.modes.get(layer.name) === mode, onchange: () => this.setMode(layer.name, mode) });
        return h("label", { for: `${name}-${mode}` }, radio, words);
      };
      const sum = layer.type === "conv2d" ? "convolution + bias" : "weighted sum + bias";
      return h("div", { class: "il-mode", role: "radiogroup", "aria-label": `${layer.name} maps: before or after ${act}` },
        h("span", { class: "il-mode-title", text: "Maps:" }),
        choice("before", ` before ${act} (${sum})`), choice("after", ` after ${act} (the layer's output)`));
    }

    setMode(name, mode) {
      if (!this.modes.has(name)) return;
      this.modes.set(name, mode);
      for (const radio of this.root.querySelectorAll(`input.il-mode-radio[data-layer="${name}"]`)) radio.checked = radio.value === mode;
      this.update();
    }

    modeOf(layer) { return this.modes.get(layer.name) || "after"; }

    // the layer's colour scale: the diverging table from -m to +m, with its numbers
    scaleBar(layer) {
      const bar = h("canvas", { width: 256, height: 1, class: "il-colorbar", "aria-hidden": "true" });
      const ctx = bar.getContext("2d");
      const img = ctx.createImageData(256, 1);
      for (let i = 0; i < 256; i++) {
        img.data.set([this.lut[3 * i], this.lut[3 * i + 1], this.lut[3 * i + 2], 255], 4 * i);
      }
      ctx.putImageData(img, 0, 0);
      const low = h("span", { class: "il-scale-low" }), high = h("span", { class: "il-scale-high" });
      const words = h("span", { class: "il-scale-words" });
      const box = h("p", { class: "il-scale", "data-layer": layer.name }, low, bar, high, words);
      this.scaleParts = this.scaleParts || new Map();
      this.scaleParts.set(layer.name, { low, high, words });
      return box;
    }

    editable(layer) { return layer.kernel_size[0] * layer.kernel_size[1] * this.net.byName.get(layer.inputs[0]).shape[2] <= 48; }

    editor(layer) {
      const [KH, KW] = layer.kernel_size;
      const C = this.net.byName.get(layer.inputs[0]).shape[2];
      const CO = layer.shape[2];
      const select = h("select", { id: "il-edit-kernel", onchange: () => this.fillEditor() });
      for (let k = 0; k < CO; k++) select.append(h("option", { value: String(k), text: `kernel ${k}` }));
      const grids = [];
      this.fields = [];
      for (let c = 0; c < C; c++) {
        const grid = h("div", { class: "il-kernel", style: `grid-template-columns: repeat(${KW}, auto)`,
          role: "group", "aria-label": C > 1 ? `input channel ${c}` : "weights" });
        for (let r = 0; r < KH; r++) {
          for (let q = 0; q < KW; q++) {
            const index = (r * KW + q) * C + c;
            const field = h("input", { type: "number", step: "0.01", inputmode: "decimal",
              "aria-label": `weight at row ${r + 1}, column ${q + 1}` + (C > 1 ? `, channel ${c}` : ""),
              oninput: () => this.editWeight(index) });
            this.fields[index] = field;
            grid.append(field);
          }
        }
        grids.push(grid);
      }
      this.editLayer = layer;
      this.editSelect = select;
      const reset = h("button", { type: "button", onclick: () => { this.resetKernels(); this.fillEditor(); this.update(); } },
        "Reset to the trained weights");
      const box = h("div", { class: "il-editor" },
        h("label", { for: "il-edit-kernel" }, "Edit ", select),
        h("div", { class: "il-kernels" }, grids), reset);
      setTimeout(() => this.fillEditor(), 0);
      return box;
    }

    fillEditor() {
      if (!this.editLayer) return;
      const k = Number(this.editSelect.value);
      const w = this.kernelOf(this.editLayer, k);
      this.fields.forEach((field, i) => { field.value = (Math.round(w[i] * 1000) / 1000).toString(); });
    }

    // one weight changed: the others keep their full precision (the fields show 3 decimals)
    editWeight(index) {
      const k = Number(this.editSelect.value);
      const w = this.kernelOf(this.editLayer, k);
      const v = parseFloat(this.fields[index].value);
      if (!Number.isFinite(v)) return;
      w[index] = v;
      this.setKernel(this.editLayer.name, k, w);
      this.update();
    }

    // -- the network, per layer --
    kernelOf(layer, k) {
      const CO = layer.shape[2];
      const n = layer.kernel.length / CO;
      const w = new Float32Array(n);
      for (let i = 0; i < n; i++) w[i] = layer.kernel[i * CO + k];
      return w;
    }

    setKernel(name, k, weights) {
      const layer = this.net.byName.get(name);
      if (!layer || layer.type !== "conv2d") throw new Error(`interpLive.setKernel: layer must be a convolution layer, got ${JSON.stringify(name)}`);
      const CO = layer.shape[2];
      const n = layer.kernel.length / CO;
      if (!Number.isInteger(k) || k < 0 || k >= CO) throw new RangeError(`interpLive.setKernel: index must be a kernel of ${name}, 0..${CO - 1}, got ${k}`);
      if (!weights || weights.length !== n) throw new RangeError(`interpLive.setKernel: weights must hold ${n} values (kernel rows x columns x input channels, row-major), got ${weights ? weights.length : weights}`);
      for (let i = 0; i < n; i++) layer.kernel[i * CO + k] = weights[i];
    }

    resetKernels() { for (const layer of this.net.layers) if (layer.trained) layer.kernel.set(layer.trained); }

    // -- input --
    load(bytes) {
      if (bytes) for (let i = 0; i < this.pixels.length; i++) this.pixels[i] = bytes[i] / 255;
      this.update();
    }

    loadPixels(pixels) { this.pixels.set(pixels); this.update(); }

    clear() { this.pixels.fill(0); this.say(""); this.update(); }

    invert() { for (let i = 0; i < this.pixels.length; i++) this.pixels[i] = Math.round((1 - this.pixels[i]) * 255) / 255; this.update(); }

    say(text) { this.status.textContent = text; }

    bindDrawing() {
      let last = null;
      const at = (e) => {
        const r = this.input.getBoundingClientRect();
        return [(e.clientX - r.left) / r.width * this.W, (e.clientY - r.top) / r.height * this.H];
      };
      this.input.addEventListener("pointerdown", (e) => {
        e.preventDefault();
        this.input.setPointerCapture && this.input.setPointerCapture(e.pointerId);
        last = at(e);
        this.say("");
        this.stroke(last, last);
        this.update();
      });
      this.input.addEventListener("pointermove", (e) => {
        if (!last) return;
        e.preventDefault();
        const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
        for (const ev of events.length ? events : [e]) { const p = at(ev); this.stroke(last, p); last = p; }
        this.update();
      });
      const end = () => { last = null; };
      this.input.addEventListener("pointerup", end);
      this.input.addEventListener("pointercancel", end);
    }

    // paint a soft round brush along a segment: each pixel keeps the stronger of its value
    // and the brush's, in steps of 1/255 (so the input canvas holds the image exactly)
    stroke(a, b) {
      const r = this.brush / 2;
      const steps = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) * 4));
      const C = this.C;
      for (let s = 0; s <= steps; s++) {
        const x = a[0] + (b[0] - a[0]) * s / steps, y = a[1] + (b[1] - a[1]) * s / steps;
        for (let row = Math.max(0, Math.floor(y - r - 1)); row <= Math.min(this.H - 1, Math.floor(y + r + 1)); row++) {
          for (let col = Math.max(0, Math.floor(x - r - 1)); col <= Math.min(this.W - 1, Math.floor(x + r + 1)); col++) {
            const d = Math.hypot(col + 0.5 - x, row + 0.5 - y);
            const strength = Math.round(Math.min(1, Math.max(0, r + 0.5 - d)) * 255) / 255;
            if (strength <= 0) continue;
            for (let c = 0; c < C; c++) {
              const i = (row * this.W + col) * C + c;
              const v = this.pixels[i];
              this.pixels[i] = this.paint ? Math.max(v, strength) : Math.min(v, Math.round((1 - strength) * 255) / 255);
            }
          }
        }
      }
    }

    bindDrop(card) {
      card.addEventListener("dragover", (e) => { e.preventDefault(); card.classList.add("il-dragging"); });
      card.addEventListener("dragleave", () => card.classList.remove("il-dragging"));
      card.addEventListener("drop", (e) => {
        e.preventDefault();
        card.classList.remove("il-dragging");
        const f = e.dataTransfer && e.dataTransfer.files[0];
        if (f) this.openFile(f);
      });
    }

    async openFile(f) {
      try {
        const bitmap = await createImageBitmap(f, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
        const canvas = document.createElement("canvas");
        canvas.width = bitmap.width;
        canvas.height = bitmap.height;
        const ctx = canvas.getContext("2d");
        ctx.drawImage(bitmap, 0, 0);
        const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
        this.loadPixels(convertImage(rgba, bitmap.width, bitmap.height, this.W, this.H, this.C));
        this.say(`Opened ${f.name} (${bitmap.width}\u00d7${bitmap.height}), converted to ${this.W}\u00d7${this.H} ${this.C === 1 ? "grayscale" : "RGB"} as interp.load_images does`);
      } catch (err) {
        this.say(`${f.name} could not be read as an image (${err.message || err})`);
      }
    }

    // -- inspecting --
    pointAt(layer, k, canvas, e) {
      const r = canvas.getBoundingClientRect();
      const col = Math.min(layer.shape[1] - 1, Math.max(0, Math.floor((e.clientX - r.left) / r.width * layer.shape[1])));
      const row = Math.min(layer.shape[0] - 1, Math.max(0, Math.floor((e.clientY - r.top) / r.height * layer.shape[0])));
      this.inspect(layer.name, row, col, k);
    }

    key(e, layer, k) {
      const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      if (!moves[e.key]) return;
      e.preventDefault();
      const at = this.inspected && this.inspected.layer === layer.name ? this.inspected : { row: 0, col: 0 };
      const row = Math.min(layer.shape[0] - 1, Math.max(0, at.row + moves[e.key][0]));
      const col = Math.min(layer.shape[1] - 1, Math.max(0, at.col + moves[e.key][1]));
      this.inspect(layer.name, row, col, k);
    }

    inspect(name, row, col, k) {
      this.inspected = { layer: name, row, col, channel: k };
      this.drawInspect();
    }

    drawInspect() {
      for (const entries of this.mapCanvases.values()) for (const e of entries) e.box.hidden = true;
      this.patchBox.hidden = true;
      const at = this.inspected;
      if (!at) return;
      const layer = this.net.byName.get(at.layer);
      const entry = (this.mapCanvases.get(at.layer) || [])[at.channel];
      if (!entry) return;
      const [OH, OW] = layer.shape;
      Object.assign(entry.box.style, { left: `${100 * at.col / OW}%`, top: `${100 * at.row / OH}%`,
        width: `${100 / OW}%`, height: `${100 / OH}%` });
      entry.box.hidden = false;
      const found = api.inspect(at.layer, at.row, at.col, at.channel);
      const [KH, KW] = layer.kernel_size;
      const C = this.net.byName.get(layer.inputs[0]).shape[2];
      const fromImage = layer.inputs[0] === this.net.layers[0].name;
      if (fromImage) {
        const top = at.row * layer.strides[0] - layer.pad[0], left = at.col * layer.strides[1] - layer.pad[1];
        Object.assign(this.patchBox.style, { left: `${100 * left / this.W}%`, top: `${100 * top / this.H}%`,
          width: `${100 * ((KW - 1) * layer.dilation[1] + 1) / this.W}%`, height: `${100 * ((KH - 1) * layer.dilation[0] + 1) / this.H}%` });
        this.patchBox.hidden = false;
      }
      const act = layer.activation || "linear";
      const lines = [];
      const head = h("p", {}, h("strong", { text: `${at.layer}, map ${at.channel}, row ${at.row}, column ${at.col}` }),
        fromImage ? ` \u2014 the ${KH}\u00d7${KW} patch outlined on the input, times the kernel:` : ` \u2014 the ${KH}\u00d7${KW} windows of the ${C} input maps, times the kernel, summed per input map:`);
      lines.push(head);
      const tabled = C === 1 || (fromImage && KH * KW * C <= 27);
      if (tabled) {
        for (let c = 0; c < C; c++) {
          const table = h("table", { class: "il-products" });
          const caption = C > 1 ? h("caption", { text: `channel ${c}` }) : null;
          if (caption) table.append(caption);
          const body = h("tbody");
          for (let r = 0; r < KH; r++) {
            const tr = h("tr");
            for (let q = 0; q < KW; q++) {
              const i = (r * KW + q) * C + c;
              const w = this.kernelOf(layer, at.channel)[i];
              tr.append(h("td", {}, h("span", { class: "il-factors" }, h("span", { class: "il-patchv", text: found.patch[i].toFixed(3) }), " \u00d7 ",
                h("span", { class: "il-w", text: fmt(w) })), h("span", { class: "il-result" }, " = ", h("span", { class: found.products[i] >= 0 ? "il-pos" : "il-neg", text: fmt(found.products[i]) }))));
            }
            body.append(tr);
          }
          table.append(body);
          lines.push(table);
        }
      } else {
        const sums = [];
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let i = c; i < found.products.length; i += C) s += found.products[i];
          sums.push(s);
        }
        const list = h("p", { class: "il-sums" }, sums.map((s, c) => h("span", { class: s >= 0 ? "il-pos" : "il-neg", text: `in ${c}: ${fmt(s)}` })));
        lines.push(list);
      }
      // sum, + bias, = before the activation, after it; the row the map shows is marked,
      // with a swatch of its colour on the layer's scale
      const shownMode = ownActivation(layer) ? this.modeOf(layer) : "after";
      const m = this.scales.get(layer.name) || 1;
      const step = (label, value, mode) => {
        const onMap = mode === shownMode;
        const t = colourIndex(value, m) * 3;
        return h("tr", { class: onMap ? "il-step il-shown" : "il-step", "data-mode": mode || null },
          h("th", { scope: "row", text: label }), h("td", { class: "il-num", text: fmt(value) }),
          h("td", {}, onMap ? [h("span", { class: "il-swatch", "aria-hidden": "true",
            style: `background: rgb(${this.lut[t]}, ${this.lut[t + 1]}, ${this.lut[t + 2]})` }), " \u2190 the map shows this"] : ""));
      };
      const acted = ownActivation(layer);
      const what = tabled ? "the products" : `the ${C} sums`;
      const steps = h("table", { class: "il-steps" }, h("tbody", {},
        step(`sum of ${what}`, found.sum, null),
        step("+ bias", found.bias, null),
        acted ? step(`= before ${activationName(layer)}`, found.before, "before")
          : step("= sum + bias", found.value, "after"),
        acted ? step(act === "relu" ? "after the ReLU, max(0, \u00b7)" : `after ${activationName(layer)}`, found.value, "after") : null));
      lines.push(steps);
      this.panel.replaceChildren(...lines);
    }

    // -- suggestions --
    suggest(i) {
      const s = this.data.suggestions[i];
      this.resetKernels();
      if (s.kernel) this.setKernel(s.kernel.layer, s.kernel.index, Float32Array.from(s.kernel.weights));
      if (this.editLayer) {
        if (s.kernel && s.kernel.layer === this.editLayer.name) this.editSelect.value = String(s.kernel.index);
        this.fillEditor();
      }
      this.watched = s.watch || null;
      for (const [name, mode] of Object.entries(s.modes || {})) {
        if (!this.modes.has(name)) continue;
        this.modes.set(name, mode);
        for (const radio of this.root.querySelectorAll(`input.il-mode-radio[data-layer="${name}"]`)) radio.checked = radio.value === mode;
      }
      this.load(bytesOf(s.pixels));
      if (s.inspect) this.inspect(s.inspect.layer, s.inspect.row, s.inspect.col, s.inspect.channel);
      this.say(s.text);
    }

    // -- drawing --
    paintImage(canvas, pixels) {
      const ctx = canvas.getContext("2d");
      const img = ctx.createImageData(this.W, this.H);
      for (let i = 0; i < this.W * this.H; i++) {
        for (let c = 0; c < 3; c++) img.data[4 * i + c] = Math.round(255 * pixels[i * this.C + (this.C === 1 ? 0 : c)]);
        img.data[4 * i + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
    }

    paintMap(canvas, values, offset, stride, m) {
      const w = canvas.width, hh = canvas.height;
      const ctx = canvas.getContext("2d");
      const img = ctx.createImageData(w, hh);
      const lut = this.lut;
      for (let i = 0; i < w * hh; i++) {
        const t = colourIndex(values[i * stride + offset], m) * 3;
        img.data[4 * i] = lut[t]; img.data[4 * i + 1] = lut[t + 1]; img.data[4 * i + 2] = lut[t + 2]; img.data[4 * i + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
    }

    update() {
      const t0 = performance.now();
      const cache = this.net.forward(this.pixels);
      this.net.last = { pixels: Float32Array.from(this.pixels), cache };
      let best = 0;
      cache.probabilities.forEach((p, i) => { if (p > cache.probabilities[best]) best = i; });
      const grad = this.net.backward(cache, best);
      const sal = sumChannels(grad, this.C);
      this.paintImage(this.input, this.pixels);
      for (const layer of this.shown) {
        const mode = this.modeOf(layer);
        const values = mode === "before" ? cache.pre.get(layer.name) : cache.values.get(layer.name);
        const entries = this.mapCanvases.get(layer.name);
        const CO = layer.shape[2];
        const m = largest(values);
        this.scales.set(layer.name, m);
        const parts = this.scaleParts.get(layer.name);
        parts.low.textContent = fmt(-m, 2);
        parts.high.textContent = fmt(m, 2);
        parts.words.textContent = ownActivation(layer)
          ? ` ${mode} ${activationName(layer)}: one scale for the layer, white at\u00a00`
          : " one scale for the layer, white at\u00a00";
        entries.forEach((e, k) => {
          e.canvas.dataset.mode = ownActivation(layer) ? mode : "output";
          this.paintMap(e.canvas, values, k, CO, m);
          e.cell.classList.toggle("il-watched", !!this.watched && this.watched.layer === layer.name && this.watched.channel === k);
        });
      }
      this.paintMap(this.salCanvas, sal, 0, 1, largest(sal));
      this.salCaption.textContent = `Gradient of ${this.classes[best]}'s logit: red pixels raise it, blue lower it (scale \u00b1${largest(sal).toPrecision(2)}).`;
      this.barRows.forEach((bar, i) => {
        const p = cache.probabilities[i];
        bar.fill.style.width = `${(100 * p).toFixed(1)}%`;
        bar.value.textContent = `${(100 * p).toFixed(1)}%`;
        bar.row.classList.toggle("il-best", i === best);
      });
      if (this.inspected) this.drawInspect();
      this.timings.push(performance.now() - t0);
      if (this.timings.length > 200) this.timings.shift();
    }
  }

  function sumChannels(values, C) {
    if (C === 1) return values;
    const out = new Float32Array(values.length / C);
    for (let i = 0; i < out.length; i++) { let s = 0; for (let c = 0; c < C; c++) s += values[i * C + c]; out[i] = s; }
    return out;
  }

  // ---- the page's API ---------------------------------------------------------------------------
  let view = null;
  const api = {
    ready: null,
    version: 1,
    layers() {
      return view.net.layers.map((l) => ({ name: l.name, type: l.type, shape: l.shape.slice() }));
    },
    run(pixels) {
      checkPixels("run", pixels);
      const cache = view.net.forward(pixels);
      view.net.last = { pixels: Float32Array.from(pixels), cache };
      const outputs = {};
      const before = {};
      for (const layer of view.net.layers) {
        if (layer.type !== "input") outputs[layer.name] = cache.values.get(layer.name);
        if (ownActivation(layer)) before[layer.name] = cache.pre.get(layer.name);
      }
      return { outputs, before, probabilities: cache.probabilities };
    },
    saliency(pixels) {
      checkPixels("saliency", pixels);
      const cache = view.net.forward(pixels);
      let best = 0;
      cache.probabilities.forEach((p, i) => { if (p > cache.probabilities[best]) best = i; });
      return sumChannels(view.net.backward(cache, best), view.C);
    },
    setKernel(layer, index, weights) { view.setKernel(layer, index, weights); view.update(); view.fillEditor(); },
    resetKernels() { view.resetKernels(); view.update(); view.fillEditor(); },
    inspect(name, row, col, k) {
      const layer = view.net.byName.get(name);
      if (!layer || layer.type !== "conv2d") throw new Error(`interpLive.inspect: layer must be a convolution layer, got ${JSON.stringify(name)}`);
      if (!view.net.last) throw new Error("interpLive.inspect: call run first");
      const [OH, OW, CO] = layer.shape;
      if (!(row >= 0 && row < OH && col >= 0 && col < OW && k >= 0 && k < CO)) {
        throw new RangeError(`interpLive.inspect: (row, col, kernel) must lie in ${OH}x${OW}x${CO}, got (${row}, ${col}, ${k})`);
      }
      const inLayer = view.net.byName.get(layer.inputs[0]);
      const [H, W, C] = inLayer.shape;
      const x = view.net.last.cache.values.get(inLayer.name);
      const [KH, KW] = layer.kernel_size;
      const patch = new Float32Array(KH * KW * C);
      const products = new Float32Array(KH * KW * C);
      let sum = 0;
      for (let ky = 0; ky < KH; ky++) {
        for (let kx = 0; kx < KW; kx++) {
          const iy = row * layer.strides[0] + ky * layer.dilation[0] - layer.pad[0];
          const ix = col * layer.strides[1] + kx * layer.dilation[1] - layer.pad[1];
          for (let c = 0; c < C; c++) {
            const i = (ky * KW + kx) * C + c;
            const v = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[(iy * W + ix) * C + c] : 0;
            patch[i] = v;
            products[i] = v * layer.kernel[i * CO + k];
            sum += v * layer.kernel[i * CO + k];
          }
        }
      }
      const bias = layer.bias ? layer.bias[k] : 0;
      const value = view.net.last.cache.values.get(name)[(row * OW + col) * CO + k];
      const pre = view.net.last.cache.pre.get(name);
      const before = pre ? pre[(row * OW + col) * CO + k] : value;
      return { patch, products, sum, bias, before, value };
    },
    // how long the view's last updates took (forward, gradient and every drawing), in ms
    timings() { return view.timings.slice(); },
  };

  function checkPixels(func, pixels) {
    const n = view.net.inputSize();
    if (!(pixels instanceof Float32Array) || pixels.length !== n) {
      const [H, W, C] = view.net.input.shape;
      throw new TypeError(`interpLive.${func}: pixels must be a Float32Array of ${n} values in [0, 1] (${H}x${W}x${C}, row-major), got ${pixels && pixels.constructor ? pixels.constructor.name : typeof pixels} of ${pixels ? pixels.length : 0}`);
    }
  }

  api.ready = new Promise((resolve, reject) => {
    const start = () => {
      try {
        const root = document.querySelector(".interp-live");
        if (!root) throw new Error("interp-live: no element .interp-live on this page");
        const data = JSON.parse(root.querySelector("script.interp-live-data").textContent);
        root.classList.add("il-on");
        view = new View(root, data);
        resolve(api);
      } catch (err) {
        reject(err);
        throw err;
      }
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  });
  window.interpLive = api;
})();
