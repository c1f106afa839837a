#!/usr/bin/env node
// mcr-gen: the native traffic generator (native/traffic/gen.cc); usage: mcr-gen --help
import { execNative } from './exec-native.js';

execNative('mcr-gen');
