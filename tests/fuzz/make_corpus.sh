#!/usr/bin/env bash
# make_corpus.sh - (re)writes the seed corpora in tests/fuzz/corpus/<target>/.
#
# Seeds are real files, small: the repository's models and tensors, a few
# ../shared models and conformance cases copied (nothing over 64 KiB, the
# fuzzers' max_len), the boards, blobs from `kiln generate`, and frames and
# GDB conversations written here (make_corpus.py, with Python's zlib CRC-32
# and GDB's checksum rule: not Kiln's own encoders).  The output is committed;
# run this again after a change to the blob format or the signature, then
# commit what changed.
#   bash tests/fuzz/make_corpus.sh          (needs build/kiln, python3 + numpy)
set -euo pipefail
cd "$(dirname "$0")/../.."
KILN=${KILN:-build/kiln}
C=tests/fuzz/corpus
SH=../shared
small() { [ "$(stat -c %s "$1")" -le 65536 ]; }
fresh() { rm -rf "${C:?}/$1" && mkdir -p "$C/$1"; }

# ONNX: our own models, every tiny extra, and conformance cases chosen to
# cover each importer file (conv, math, quant, resize, rnn, shape ops).
fresh onnx
for f in tests/models/{small_cnn,qdq_ops_s8,qdq_ort_resnet,qdq_torch_cnn}.onnx tests/data/qdq_conv_gemm.onnx \
         tests/data/onnx_extra/*.onnx; do
    small "$f" && cp "$f" "$C/onnx/$(basename "$f")"
done
for c in onnx-node/test_{conv_with_strides_padding,convtranspose_pads,gemm_all_attributes,qlinearconv,qlinearmatmul_2D_uint8_float32,matmulinteger,lstm_with_peepholes,gru_defaults,resize_upsample_sizes_nearest,resize_tf_crop_and_resize_axes_2_3,slice_neg_steps,split_variable_parts_2d_opset18,pad_constant,reduce_mean_keepdims_example,maxpool_with_argmax_2d_precomputed_pads,averagepool_2d_pads,batchnorm_epsilon,dequantizelinear_axis,quantizelinear_axis,transpose_all_permutations_0,concat_3d_axis_negative_1,softmax_axis_1} \
         onnx-pytorch-converted/test_{Conv2d_depthwise_padded,BatchNorm2d_eval,PixelShuffle,ConvTranspose2d,Conv2d_groups}; do
    f=$SH/conformance/$c/model.onnx
    [ -f "$f" ] && small "$f" && cp "$f" "$C/onnx/${c#*/}.onnx"
done

# TFLite: the small TFLM models and the smallest MLPerf Tiny ones.
fresh tflite
for f in $SH/models/tflm/{hello_world_int8,hello_world_float,micro_speech_quantized,keyword_scrambled_8bit,keyword_scrambled}.tflite \
         $SH/models/mlperf_tiny/kws_ref_model_float32.tflite; do
    [ -f "$f" ] && small "$f" && cp "$f" "$C/tflite/$(basename "$f")"
done

# Tensors: conformance .pb files of several element types, our .npy inputs,
# and generated .npy variants (make_corpus.py).
fresh tensor
for c in test_cast_FLOAT_to_DOUBLE test_qlinearconv test_matmulinteger test_gather_0 test_slice_neg_steps \
         test_dequantizelinear_axis test_lstm_with_peepholes; do
    for f in $SH/conformance/onnx-node/$c/test_data_set_0/*.pb; do
        [ -f "$f" ] && small "$f" && cp "$f" "$C/tensor/${c#test_}_$(basename "$f")"
    done
done
cp tests/models/small_cnn/input_1.npy tests/models/qdq_ops_s8/in_c_1.npy "$C/tensor/"

fresh board
cp boards/*.json "$C/board/"

# Blobs: byte 0 is fuzz_blob.c's mode (network, forge, skip CRC).
fresh blob
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$KILN" generate tests/models/small_cnn.onnx --name fz_cnn -o "$tmp/cnn" -q >/dev/null
"$KILN" generate tests/models/qdq_torch_cnn.onnx --name fz_s8 -o "$tmp/s8" -q >/dev/null
for m in 0 2 4; do
    { printf "\\x$(printf %02x $m)"; cat "$tmp/cnn/fz_cnn_data.bin"; } >"$C/blob/cnn_mode$m.bin"
    { printf "\\x$(printf %02x $((m | 1)))"; cat "$tmp/s8/fz_s8_data.bin"; } >"$C/blob/s8_mode$((m | 1)).bin"
done

fresh vproto; fresh firmware; fresh gdb; fresh infer
PY=/usr/bin/python3   # the Debian one, which has python3-numpy
[ -x "$PY" ] || PY=python3
"$PY" tests/fuzz/make_corpus.py "$C"
echo "make_corpus: $(find "$C" -type f | wc -l) files, $(du -sh "$C" | cut -f1)"
