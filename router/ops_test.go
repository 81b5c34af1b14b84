package router

import "mcroute/codec"

func opName(o int) string      { return codec.Op(o).String() }
func opFromInt(o int) codec.Op { return codec.Op(o) }
