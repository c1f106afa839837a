#!/usr/bin/env node
// mcr-member: the native join/leave receiver (native/traffic/member.cc); usage: mcr-member --help
import { execNative } from './exec-native.js';

execNative('mcr-member');
