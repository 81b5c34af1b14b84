package router

import "mcroute/codec/mc"

func opName(o int) string   { return mc.Op(o).String() }
func opFromInt(o int) mc.Op { return mc.Op(o) }
