#!/usr/bin/env node
// mcr-sink: the native traffic sink (native/traffic/sink.cc); usage: mcr-sink --help
import { execNative } from './exec-native.js';

execNative('mcr-sink');
