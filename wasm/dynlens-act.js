// dynlens-act.js - the activations (core/act.h; the "act" section of wasm/dynw.c): their names, read from the core.
export default {
  name: 'act',
  init(dl) {
    dl.activations = dl.names(dl.core._dynw_act_count, dl.core._dynw_act_name);
  },
  methods: {},
};
