import '../sim/polyfills';
